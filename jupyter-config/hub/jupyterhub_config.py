"""A lab's JupyterHub for labcontainer: every member's server runs as that member's Linux
user (LocalProcessSpawner, the hub running as root), each with their own rootless Podman,
which labcontainer finds or starts for them (c.LabContainer.start_service is on by default
under a hub). tests/hub runs a real hub with THIS file; the settings below read a few
environment variables so that the test can choose ports, folders and its authenticator.

    sudo /path/to/venv/bin/jupyterhub -f jupyterhub_config.py

The venv must be readable by every member (the members' servers run jupyterhub-singleuser
from it, with labcontainer enabled by its jupyter_server_config.d).
"""

import os
import sys

c = get_config()  # noqa: F821 - given by JupyterHub when it loads this file

env = os.environ.get
state = env("LABCONTAINER_HUB_STATE", "/srv/jupyterhub")
os.makedirs(state, mode=0o700, exist_ok=True)

# -- where the hub answers: localhost only here (put TLS or a reverse proxy in front for the lab)
c.JupyterHub.ip = env("LABCONTAINER_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env("LABCONTAINER_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("LABCONTAINER_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('LABCONTAINER_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [env("LABCONTAINER_HUB_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{os.path.join(state, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # the hub's stop stops the members' servers too

# -- who may log in: the lab's Linux users (PAM). The tests choose "dummy" instead.
c.JupyterHub.authenticator_class = env("LABCONTAINER_HUB_AUTHENTICATOR", "pam")
members = env("LABCONTAINER_HUB_MEMBERS")
if members:
    c.Authenticator.allowed_users = set(members.split())
else:
    c.Authenticator.allow_existing_users = True

# -- each member's server: their own Linux user, the project's venv, labcontainer enabled.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(sys.prefix, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Nothing else is prepared for the member: no XDG_RUNTIME_DIR, no CONTAINER_HOST (Spawner.env_keep's
# default passes neither). labcontainer starts the member's Podman service when none answers
# and stops it with the server; c.LabContainer.start_service = False in the member's own
# jupyter_server_config turns that off.

# -- shared GPUs: the lab-wide reservations folder, which the admin makes once
#    (`install -d -m 1777 /srv/gpu-reservations`): each member's labcontainer writes its own file
#    there and honours the others' (README "Shared GPUs").
member_args = []
shared = env("LABCONTAINER_HUB_SHARED_RESERVATIONS")
if shared:
    member_args.append(f"--LabContainer.shared_reservations_dir={shared}")
# Tests and demos without a GPU only: every member's NVML readings replayed from one file.
recording = env("LABCONTAINER_HUB_NVML_RECORDING")
if recording:
    member_args.append(f"--LabContainer.nvml_recording={recording}")
c.Spawner.args = member_args

# -- an admin service whose token the tests (or the lab's scripts) use on the hub's REST API
admin_token = env("LABCONTAINER_HUB_ADMIN_TOKEN")
if admin_token:
    c.JupyterHub.services = [{"name": "labcontainer-admin", "api_token": admin_token}]
    c.JupyterHub.load_roles = [{
        "name": "labcontainer-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
        "services": ["labcontainer-admin"],
    }]
