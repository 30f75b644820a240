"""The vocabulary every layer shares: records, errors, the CLI's little languages, times.

Standard library only; nothing here talks to Podman or NVML.
"""
