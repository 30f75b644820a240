"""A kernel record marked for removal (its server did not answer at shutdown) keeps which
server to remove the container on, and its folder there; the key goes."""

from __future__ import annotations

from labcontainer.kernels import records


def test_a_record_marked_for_removal_keeps_its_server_and_drops_its_key(tmp_path) -> None:
    records.save_record(records.KernelRecord(
        kernel_id="k1", container_name="lc-kernel-k1", container_id="abc", connection_dir="/tmp/lck-k1",
        connection_info={"key": "secret"}, connection="gpu2", remote_dir="/run/user/1009/lck-k1-x",
    ), tmp_path)
    records.mark_for_removal("k1", "lc-kernel-k1", tmp_path)
    (kept,) = records.load_records(tmp_path)
    assert kept.remove_pending and kept.connection == "gpu2" and kept.remote_dir == "/run/user/1009/lck-k1-x"
    assert kept.connection_info == {} and kept.connection_dir == ""
