"""scripts/start-lab.sh gives the lab user the sample notebooks in the work folder: the user's
own files, in the user's own group (they were left in group root), never over the user's own.

As root (start-lab.sh's case) the notebooks go to another user, `nobody`; as anyone else, to
oneself (install cannot give a file away then)."""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_sample_notebooks_belong_to_the_user_and_the_users_group(tmp_path):
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    work = tmp_path / "work"
    work.mkdir()
    (work / "01-containers.ipynb").write_text("{}")  # the user's own edit: kept
    subprocess.run(["bash", str(REPO / "scripts/copy-notebooks.sh"), user.pw_name, str(work)], check=True)

    samples = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in work.iterdir()) == samples
    assert (work / "01-containers.ipynb").read_text() == "{}"
    for name in samples[1:]:
        info = (work / name).stat()
        assert (info.st_uid, info.st_gid) == (user.pw_uid, user.pw_gid), (
            f"{name} belongs to {pwd.getpwuid(info.st_uid).pw_name}:{grp.getgrgid(info.st_gid).gr_name}")
        assert oct(info.st_mode & 0o777) == "0o644"
    assert 'scripts/copy-notebooks.sh "$USER_NAME" "$WORK"' in (REPO / "scripts/start-lab.sh").read_text()
