#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# trim_bundle.py IN_BUNDLE OUT_DIR: a smaller copy of a `godiag bundle`
# directory for tests/cases.  Of the sock_diag recording (sockets.gdnl,
# format in src/linux/sockdiag.h) only the sockets of the recorded PID (its
# INODES frame) are kept: a bundle's dump holds the whole network
# namespace, mostly other processes' sockets.  goroutine-debug1.txt is
# dropped when a debug=2 dump is there (doctor uses debug=2).  The manifest
# is rewritten with the new sizes; nothing else changes.
import json, os, shutil, struct, sys

def trim_gdnl(data):
    frames, off = [], 0
    while off < len(data):
        magic, kind, length = data[off:off+4], data[off+4], struct.unpack_from('<I', data, off+8)[0]
        assert magic == b'GDNL', 'not a recording'
        frames.append((kind, data[off+12:off+12+length]))
        off += 12 + length
    inodes = set()
    for kind, p in frames:
        if kind == 2:
            inodes |= {struct.unpack_from('<Q', p, 4 + 8*i)[0] for i in range((len(p) - 4) // 8)}
    out = bytearray()
    for kind, p in frames:
        if kind == 1:
            q, o = bytearray(), 0
            while o + 16 <= len(p):
                n, typ = struct.unpack_from('=IH', p, o)
                msg = p[o:o + ((n + 3) & ~3)]
                if typ != 20 or struct.unpack_from('=I', msg, 16 + 68)[0] in inodes:
                    q += msg
                o += (n + 3) & ~3
            p = bytes(q)
        out += b'GDNL' + bytes([kind, 0, 0, 0]) + struct.pack('<I', len(p)) + p
    return bytes(out)

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
man = json.load(open(os.path.join(src, 'manifest.json')))
names = {f['name'] for f in man['files'] if f.get('ok')}
keep = []
for f in man['files']:
    if f['name'] == 'goroutine-debug1.txt' and 'goroutine-debug2.txt' in names:
        continue
    if f.get('ok'):
        body = open(os.path.join(src, f['name']), 'rb').read()
        if f['name'].endswith('.gdnl'):
            body = trim_gdnl(body)
        open(os.path.join(dst, f['name']), 'wb').write(body)
        f['bytes'] = len(body)
    keep.append(f)
man['files'] = keep
with open(os.path.join(dst, 'manifest.json'), 'w') as fp:
    json.dump(man, fp, indent=2, sort_keys=True)
    fp.write('\n')
