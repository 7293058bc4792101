"""A minimal safetensors writer and reader (the `safetensors` package is not installed here).

Format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes of
JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}, then the
tensor bytes, little-endian, row-major, in header order. The header is padded with spaces so the
body starts 8-byte aligned, as the reference writer does.
"""
import json
import struct

import numpy as np

_DTYPES = {
    np.dtype('<f4'): 'F32',
    np.dtype('<f2'): 'F16',
    np.dtype('<f8'): 'F64',
    np.dtype('<i4'): 'I32',
    np.dtype('<i8'): 'I64',
    np.dtype('u1'): 'U8',
}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    """tensors: {name: np.ndarray} (F32/F16/F64/I32/I64/U8). Names are written sorted."""
    header = {}
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        arr = arr.astype(arr.dtype.newbyteorder('<'), copy=False)
        dtype = _DTYPES.get(arr.dtype)
        if dtype is None:
            raise ValueError(f'{name}: unsupported dtype {arr.dtype}')
        data = arr.tobytes(order='C')
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - (8 + len(text.encode('utf-8'))) % 8) % 8)
    raw = text.encode('utf-8')
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load_file(path):
    """Reads back what save_file wrote: {name: np.ndarray}."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        out[name] = np.frombuffer(body[begin:end], dtype=_NUMPY[entry['dtype']]).reshape(entry['shape']).copy()
    return out
