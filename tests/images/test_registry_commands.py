"""A lab member logs in to the lab's registry, searches it, sees which registries Podman uses,
and clears out images nobody uses: `%container login/logout/search/registries/image prune`.

Real registries (scripts/setup-registry.sh: 127.0.0.1:5100 open, :5101 with a login), the
real service, and the podman CLI as witness. Every test has an auth file of its own
(REGISTRY_AUTH_FILE in tmp), so the real user's logins are never touched; the podman CLI
inherits that variable and so reads the same file, as it would in the user's terminal.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import ClassVar

import pytest
from IPython.core.error import UsageError

from labcontainer.kernels.kernelspecs import install_kernelspec
from labcontainer.magics import ContainerFailure

from .conftest import PROJECT_IMAGES, line

WORK_FOLDER = Path(__file__).resolve().parents[2]


@pytest.fixture
def auth_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "containers" / "auth.json"
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))
    return path


@pytest.fixture
def typed_password(monkeypatch):
    """What the user types at the password prompt (getpass: no echo; a password box in a
    notebook). Set ``typed_password.value``; ``prompts`` records what was asked."""

    class Typed:
        value = ""
        prompts: ClassVar[list[str]] = []

    def getpass(prompt: str = "Password: ", stream=None) -> str:
        Typed.prompts.append(prompt)
        return Typed.value

    monkeypatch.setattr("getpass.getpass", getpass)
    return Typed


def failure(shell, words: str, raises: type[UsageError | ContainerFailure]) -> str:
    """The message a failing `%container WORDS` shows (as IPython would show it). ``raises``:
    UsageError for what the user can fix in the line, ContainerFailure for a failure of
    the registry, the network or Podman (the magic's one translation decides)."""
    with pytest.raises(raises) as caught:
        line(shell, words)
    assert type(caught.value) is raises, repr(caught.value)
    shown = caught.value._render_traceback_() if isinstance(caught.value, ContainerFailure) else [f"UsageError: {caught.value}"]
    message = "\n".join(shown)
    assert "Traceback" not in message
    return message


def podman_login_of(podman_cli, registry: str) -> str | None:
    result = podman_cli("login", "--get-login", registry, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def login(shell, registries, typed_password, password: str | None = None) -> None:
    typed_password.value = registries.password if password is None else password
    line(shell, f"login -u {registries.user} {registries.auth}")


# -- login / logout ---------------------------------------------------------------------------


def test_login_is_stored_where_podman_looks_and_then_pull_needs_no_creds(
    shell, registries, auth_file, typed_password, pulled, podman_cli, capsys
):
    started = time.time()
    typed_password.value = registries.password
    cell = shell.run_cell(f"%container login -u {registries.user} {registries.auth}", store_history=True)
    assert cell.success, cell.error_in_exec
    assert typed_password.prompts == [f"Password for {registries.user} at {registries.auth}: "]

    # The podman CLI, reading the same auth file, sees the login.
    assert podman_login_of(podman_cli, registries.auth) == registries.user
    assert json.loads(auth_file.read_text())["auths"][registries.auth]["auth"]
    assert auth_file.stat().st_mode & 0o077 == 0

    # A pull from that registry now works without --creds.
    image = pulled(f"{registries.auth}/lab/python:latest")
    line(shell, f"pull {image}")
    assert podman_cli("image", "exists", image, check=False).returncode == 0

    # The password is in no output, no IPython history and no file of the work folder.
    out, err = capsys.readouterr()
    assert "Login Succeeded" in out and registries.password not in out + err
    history = shell.history_manager
    history.writeout_cache()
    remembered = [str(entry) for entry in history.get_tail(200, raw=True, output=True, include_latest=True)]
    remembered += [str(x) for x in history.input_hist_raw] + [repr(v) for v in history.output_hist.values()]
    assert any(f"login -u {registries.user}" in entry for entry in remembered)  # the line is there...
    assert not [entry for entry in remembered if registries.password in entry]  # ...the password is not
    assert registries.password not in repr({k: v for k, v in shell.user_ns.items() if not k.startswith("__")})
    assert not files_containing(registries.password, [WORK_FOLDER, auth_file.parent], since=started)


def files_containing(secret: str, folders: list[Path], *, since: float) -> list[Path]:
    """Files changed since ``since`` under the folders whose bytes hold the secret."""
    found = []
    needle = secret.encode()
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in ("node_modules", ".git")]
            for name in names:
                path = Path(root) / name
                try:
                    if path.stat().st_mtime >= since - 1 and needle in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


async def test_in_a_notebook_the_password_is_asked_in_a_password_box_and_stays_out_of_it(registries, auth_file, tmp_path, monkeypatch, podman_cli):
    """The real notebook path: an ipykernel (the auth file's variable in its environment),
    the password asked through Jupyter's stdin channel as a password, answered like a user."""
    from jupyter_client.manager import AsyncKernelManager

    monkeypatch.chdir(tmp_path)
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel()
    client = km.client()
    client.start_channels()
    asked, shown = [], []

    def type_password(message):
        asked.append(message["content"])
        client.input(registries.password)

    def collect(message):
        shown.append(json.dumps(message["content"]))

    try:
        await client.wait_for_ready(timeout=60)
        code = f"%load_ext labcontainer\n%container login -u {registries.user} {registries.auth}"
        reply = await client.execute_interactive(code, allow_stdin=True, stdin_hook=type_password, output_hook=collect, timeout=60)
        assert reply["content"]["status"] == "ok", shown
        await client.execute_interactive("%history -n", output_hook=collect, timeout=30)
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)
    assert [a["password"] for a in asked] == [True]  # a password box: nothing echoes
    assert any("Login Succeeded" in text for text in shown)
    assert any(f"login -u {registries.user}" in text for text in shown)  # the history was printed...
    assert not [text for text in shown if registries.password in text]  # ...without the password
    assert podman_login_of(podman_cli, registries.auth) == registries.user


def test_without_registry_auth_file_the_login_goes_to_the_runtime_dir_as_podman_does(
    shell, registries, typed_password, podman_cli, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    login(shell, registries, typed_password)
    assert str(runtime_dir / "containers" / "auth.json") in capsys.readouterr().out
    assert podman_login_of(podman_cli, registries.auth) == registries.user


def test_a_wrong_password_is_one_paragraph_and_nothing_is_stored(shell, registries, auth_file, typed_password, podman_cli, record_property):
    typed_password.value = f"wrong-{registries.password}"
    started = time.monotonic()
    message = failure(shell, f"login -u {registries.user} {registries.auth}", UsageError)
    record_property("seconds", round(time.monotonic() - started, 2))
    assert message.startswith(f"UsageError: Could not log in to {registries.auth}: the registry did not accept the user name '{registries.user}'")
    assert "Nothing was stored" in message and len(message.splitlines()) == 1
    assert registries.password not in message
    assert not auth_file.exists()
    assert podman_login_of(podman_cli, registries.auth) is None


def test_an_unreachable_registry_is_said_so(shell, registries, auth_file, typed_password):
    import socket

    with socket.socket() as probe:  # a port free right now
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    typed_password.value = "anything"
    message = failure(shell, f"login -u someone {address}", ContainerFailure)
    assert f"Could not log in to {address}: the registry could not be reached from this server (connection refused)" in message
    assert not auth_file.exists()


def test_a_login_made_with_the_podman_cli_is_used_by_pull(shell, registries, auth_file, pulled, podman_cli):
    import subprocess

    subprocess.run(
        [podman_cli.binary, "login", "-u", registries.user, "--password-stdin", registries.auth],
        input=registries.password, text=True, check=True, capture_output=True,
    )
    image = pulled(f"{registries.auth}/lab/python:latest")
    line(shell, f"pull {image}")
    assert podman_cli("image", "exists", image, check=False).returncode == 0


def test_logout_removes_the_login_and_a_second_logout_says_there_is_none(shell, registries, auth_file, typed_password, podman_cli, capsys):
    login(shell, registries, typed_password)
    assert podman_login_of(podman_cli, registries.auth) == registries.user
    line(shell, f"logout {registries.auth}")
    assert f"Removed login credentials for {registries.auth}" in capsys.readouterr().out
    assert podman_login_of(podman_cli, registries.auth) is None
    message = failure(shell, f"logout {registries.auth}", UsageError)
    assert f"You are not logged in to {registries.auth}" in message and "nothing was removed" in message


def test_logout_all_removes_every_login(shell, registries, auth_file, typed_password, podman_cli):
    login(shell, registries, typed_password)
    typed_password.value = "open registries accept anyone"
    line(shell, f"login -u someone {registries.open}")
    assert podman_login_of(podman_cli, registries.open) == "someone"
    line(shell, "logout --all")
    assert podman_login_of(podman_cli, registries.auth) is None
    assert podman_login_of(podman_cli, registries.open) is None


def test_without_a_login_pulling_says_to_log_in_with_the_magic(shell, registries, auth_file):
    message = failure(shell, f"pull {registries.auth}/lab/python:latest", ContainerFailure)
    assert f"the registry {registries.auth} refused access" in message
    assert f"`%container login {registries.auth}`" in message


def test_a_stored_login_whose_password_changed_says_to_log_in_again(shell, registries, auth_file, pulled):
    auth_file.parent.mkdir(parents=True)
    import base64

    stale = base64.b64encode(f"{registries.user}:old-password".encode()).decode()
    auth_file.write_text(json.dumps({"auths": {registries.auth: {"auth": stale}}}))
    pulled(f"{registries.auth}/lab/python:latest")
    message = failure(shell, f"pull {registries.auth}/lab/python:latest", ContainerFailure)
    assert "did not accept your stored login" in message and f"`%container login {registries.auth}`" in message


# -- search -----------------------------------------------------------------------------------


def test_search_finds_the_seeded_repositories_and_names_their_registry(shell, registries, auth_file):
    results = line(shell, "search lab")  # a short term: the unqualified-search registries
    found = {(r.registry, r.name) for r in results}
    assert (registries.open, f"{registries.open}/lab/python") in found
    assert (registries.open, f"{registries.open}/lab/kernel") in found
    text, html = repr(results), results._repr_html_()
    assert text.splitlines()[0].split()[:2] == ["REGISTRY", "NAME"]
    assert f"{registries.open}/lab/python" in text and "<table" in html and f"{registries.open}/lab/python" in html

    one = line(shell, f"search --limit 1 {registries.open}/lab")
    assert len(one) == 1 and one[0].registry == registries.open


def test_search_of_an_unreachable_registry_names_it(shell, auth_file):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    message = failure(shell, f"search {address}/lab", ContainerFailure)
    first, *rest = message.splitlines()
    assert f"Podman could not reach the registry {address}" in first
    assert len(rest) == 1 and rest[0].startswith("Podman said: ") and "connection refused" in rest[0]


def test_search_of_the_login_registry_asks_for_a_login_then_works(shell, registries, auth_file, typed_password):
    message = failure(shell, f"search {registries.auth}/lab", UsageError)
    assert f"`%container login {registries.auth}`" in message
    login(shell, registries, typed_password)
    results = line(shell, f"search {registries.auth}/lab")
    assert f"{registries.auth}/lab/python" in {r.name for r in results}


# -- registries -------------------------------------------------------------------------------


def test_registries_shows_what_podman_uses_with_your_logins(shell, registries, auth_file, typed_password, podman_cli):
    login(shell, registries, typed_password)
    rows = line(shell, "registries")
    witness = json.loads(podman_cli("info", "--format", "json").stdout)["registries"]
    by_prefix = {r.prefix: r for r in rows}
    assert [r.prefix for r in rows if r.search] == witness["search"]
    for prefix, entry in witness.items():
        if prefix == "search":
            continue
        assert by_prefix[prefix].insecure == entry["Insecure"]
        assert [m.split(" ")[0] for m in by_prefix[prefix].mirrors] == [m["Location"] for m in entry["Mirrors"] or ()]
    assert by_prefix[registries.auth].login == registries.user
    assert by_prefix["docker.io"].mirrors == (f"{registries.open}/mirror (insecure)",)
    assert "LOGGED IN AS" in repr(rows) and "<table" in rows._repr_html_()


# -- image prune ------------------------------------------------------------------------------


@pytest.fixture
def committed(podman_cli, python_image, unique_name):
    """``committed(name)``: a new image made here by `podman commit`, labelled for this test
    only (``committed.label``); every image with that label is removed after the test."""
    label = f"org.labcontainer.test=prune-{uuid.uuid4().hex[:8]}"
    source = unique_name("source")
    podman_cli("create", "--name", source, python_image, "true")

    def commit(name: str) -> str:
        return podman_cli("commit", "-q", "--change", f"LABEL={label}", source, name).stdout.strip()

    commit.label = label
    yield commit
    podman_cli("rm", "-f", source, check=False)
    for image_id in podman_cli("images", "-a", "-q", "--no-trunc", "--filter", f"label={label}").stdout.split():
        podman_cli("rmi", "-f", image_id, check=False)


def exists(podman_cli, image: str) -> bool:
    return podman_cli("image", "exists", image, check=False).returncode == 0


def project_images(podman_cli) -> set[str]:
    names = podman_cli("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    return {n for n in names if n.startswith(PROJECT_IMAGES)}


def test_prune_without_f_shows_what_would_go_and_removes_nothing(shell, committed, podman_cli):
    dangling = committed("localhost/lct-prune:1")
    committed("localhost/lct-prune:1")  # takes the name: the first one is dangling now
    shown = line(shell, "image prune")
    assert dangling in {i.id.removeprefix("sha256:") for i in shown}
    assert "Nothing was removed" in repr(shown) and "%container image prune -f" in repr(shown)
    assert "Nothing was removed" in shown._repr_html_()
    assert exists(podman_cli, dangling)


def test_prune_f_removes_dangling_images_but_never_one_a_container_uses(shell, committed, unique_name, podman_cli):
    projects = project_images(podman_cli)
    unused = committed("localhost/lct-prune-a:1")
    committed("localhost/lct-prune-a:1")
    used = committed("localhost/lct-prune-b:1")
    podman_cli("create", "--name", unique_name("user"), "localhost/lct-prune-b:1", "true")
    committed("localhost/lct-prune-b:1")  # the used image is dangling now, and still used
    named = committed("localhost/lct-prune-c:1")

    removed = line(shell, f"image prune -f --filter label={committed.label}")
    assert [i.id.removeprefix("sha256:") for i in removed] == [unused]
    assert "Removed 1 dangling images; space reclaimed" in repr(removed)
    assert not exists(podman_cli, unused)
    assert exists(podman_cli, used) and exists(podman_cli, named)
    assert project_images(podman_cli) == projects


def test_prune_all_removes_every_unused_image_but_never_one_a_container_uses(shell, committed, unique_name, podman_cli):
    projects = project_images(podman_cli)
    used = committed("localhost/lct-prune-d:1")
    podman_cli("create", "--name", unique_name("user"), used, "true")
    unused = committed("localhost/lct-prune-e:1")

    preview = line(shell, f"image prune -a --filter label={committed.label}")
    assert [i.id.removeprefix("sha256:") for i in preview] == [unused] and exists(podman_cli, unused)
    removed = line(shell, f"image prune -a -f --filter label={committed.label}")
    assert [i.name for i in removed] == ["localhost/lct-prune-e:1"]
    assert not exists(podman_cli, unused) and exists(podman_cli, used)
    assert project_images(podman_cli) == projects


def test_prune_keeps_a_localhost_image_that_only_a_kernelspec_uses(shell, committed, data_dir, podman_cli):
    """No container uses a kernelspec's image between its kernels, so `prune -a -f` would
    remove it; a localhost/ image cannot be pulled again and the kernel would never start.
    The dry run names it as kept, -f keeps it, and only --include-kernel-images removes it."""
    kernel_image, other = "localhost/lct-prune-kernel:1", "localhost/lct-prune-other:1"
    committed(kernel_image)
    committed(other)
    install_kernelspec(kernel_image, name="lc-prune-kept")  # a real kernelspec, in this test's data dir
    why = f"{kernel_image} kept: used by kernelspec lc-prune-kept; it cannot be pulled again."

    preview = line(shell, f"image prune -a --filter label={committed.label}")
    assert [i.name for i in preview] == [other]
    assert why in repr(preview) and "--include-kernel-images" in repr(preview)
    removed = line(shell, f"image prune -a -f --filter label={committed.label}")
    assert [i.name for i in removed] == [other] and why in repr(removed)
    assert exists(podman_cli, kernel_image) and not exists(podman_cli, other)

    removed = line(shell, f"image prune -a -f --include-kernel-images --filter label={committed.label}")
    assert [i.name for i in removed] == [kernel_image] and "kept" not in repr(removed)
    assert not exists(podman_cli, kernel_image)


def test_prune_with_nothing_to_remove_says_so(shell, committed):
    assert repr(line(shell, f"image prune -f --filter label={committed.label}")) == "No dangling images to remove: nothing was removed."


def test_prune_refuses_a_malformed_filter(shell):
    with pytest.raises(UsageError, match="is not KEY=VALUE"):
        line(shell, "image prune --filter dangling")
