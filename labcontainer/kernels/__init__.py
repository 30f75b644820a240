"""Container kernels' shared parts: the typed config, kernelspecs, records, crash recovery.

The provisioner (labcontainer/provisioner.py) and the front-ends use these; they talk to
Podman only through the service.
"""
