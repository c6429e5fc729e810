#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write an OCI image layout for the registry tests, from a base layout (berth image export,
unpacked): the base image plus --layers N more small gzip layers (each adds /layerK.txt), and
with --platforms P1,P2,… an image index with one manifest per platform (the same layers, a
config naming the platform), plus an unknown/unknown attestation manifest with --attestation.

    mkimage.py BASE_DIR OUT_DIR [--layers N] [--platforms linux/amd64,linux/arm64]
               [--attestation] [--tag TAG] [--layer-size BYTES] [--expose PORT/PROTO]…
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def put_blob(out, data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h


def read_blob(base, digest):
    with open(os.path.join(base, "blobs", "sha256", digest.split(":")[1]), "rb") as f:
        return f.read()


def layer(k, size=0):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        body = ("layer %d\n" % k).encode()
        if size:
            big = tarfile.TarInfo("data%d.bin" % k)
            big.size = size
            big.mode = 0o644
            t.addfile(big, io.BytesIO(os.urandom(size)))
        info = tarfile.TarInfo("layer%d.txt" % k)
        info.size = len(body)
        info.mode = 0o644
        info.mtime = 0
        t.addfile(info, io.BytesIO(body))
    raw = raw.getvalue()
    return raw, gzip.compress(raw, compresslevel=1, mtime=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=0)
    ap.add_argument("--platforms", default="")
    ap.add_argument("--attestation", action="store_true")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--layer-size", type=int, default=0, help="random bytes in each layer")
    ap.add_argument("--expose", action="append", default=[], help="an ExposedPorts key")
    a = ap.parse_args()

    os.makedirs(os.path.join(a.out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(a.out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    bindex = json.load(open(os.path.join(a.base, "index.json")))
    bman = json.loads(read_blob(a.base, bindex["manifests"][0]["digest"]))
    bcfg = json.loads(read_blob(a.base, bman["config"]["digest"]))
    layers = []
    for ld in bman["layers"]:
        layers.append(
            {"mediaType": ld["mediaType"], "digest": put_blob(a.out, read_blob(a.base, ld["digest"])),
             "size": ld["size"]})
    diffs = list(bcfg["rootfs"]["diff_ids"])
    for k in range(a.layers):
        raw, gz = layer(k + 1, a.layer_size)
        layers.append({"mediaType": MT_LAYER, "digest": put_blob(a.out, gz), "size": len(gz)})
        diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())

    def manifest(os_, arch, variant=None):
        cfg = dict(bcfg)
        cfg["os"], cfg["architecture"] = os_, arch
        if variant:
            cfg["variant"] = variant
        cfg["rootfs"] = {"type": "layers", "diff_ids": diffs}
        if a.expose:
            cfg["config"] = dict(cfg.get("config") or {})
            cfg["config"]["ExposedPorts"] = {p: {} for p in a.expose}
        cb = json.dumps(cfg, sort_keys=True).encode()
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": {"mediaType": MT_CONFIG, "digest": put_blob(a.out, cb), "size": len(cb)},
             "layers": layers}
        mb = json.dumps(m, sort_keys=True).encode()
        d = {"mediaType": MT_MANIFEST, "digest": put_blob(a.out, mb), "size": len(mb)}
        p = {"os": os_, "architecture": arch}
        if variant:
            p["variant"] = variant
        d["platform"] = p
        return d

    ann = {"org.opencontainers.image.ref.name": a.tag}
    if not a.platforms:
        d = manifest(bcfg.get("os", "linux"), bcfg.get("architecture", "amd64"))
        del d["platform"]
        d["annotations"] = ann
        top = [d]
    else:
        ms = []
        if a.attestation:
            # as BuildKit writes them: an unknown/unknown manifest first
            cb = b"{}"
            att = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                   "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                              "digest": put_blob(a.out, cb), "size": 2},
                   "layers": []}
            ab = json.dumps(att).encode()
            ms.append({"mediaType": MT_MANIFEST, "digest": put_blob(a.out, ab), "size": len(ab),
                       "platform": {"os": "unknown", "architecture": "unknown"},
                       "annotations": {"vnd.docker.reference.type": "attestation-manifest"}})
        for p in a.platforms.split(","):
            parts = p.split("/")
            ms.append(manifest(parts[0], parts[1], parts[2] if len(parts) > 2 else None))
        ib = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": ms}).encode()
        top = [{"mediaType": MT_INDEX, "digest": put_blob(a.out, ib), "size": len(ib),
                "annotations": ann}]
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": top}, f)


if __name__ == "__main__":
    main()
