"""Stub torch for the simulated GPU: what the check's worker calls, nothing else."""

uint8 = "uint8"


def empty(size, dtype=None, device=None):
    return bytearray(0)


class cuda:  # noqa: N801 - torch's name
    @staticmethod
    def synchronize() -> None:
        pass
