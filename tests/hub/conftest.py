"""tests/hub run as root in their own pass (scripts/test.sh's `hub` mode): they act as several
lab members and run a real JupyterHub. The rootful and rootless passes leave them out."""

import os

collect_ignore_glob = [] if os.environ.get("LABCONTAINER_TEST_MODE") == "hub" else ["test_*.py"]
