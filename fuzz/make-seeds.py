#!/usr/bin/env python3
"""Writes the generated part of the fuzz seed corpus: signed bundles (fuzz/corpus/bundle), tiny
audio files (fuzz/corpus/audio) and shout streams made of the Opus file's packets (fuzz/corpus/shout).
The text seeds (protocol lines, TOML, schedules, plans, schools files) are kept as files. Deterministic: Ed25519 signatures are, and the audio is a fixed tone. Needs python3-cryptography
and Debian's libsndfile1 (through ctypes). Run from the checkout: python3 fuzz/make-seeds.py
"""
import base64, ctypes, hashlib, json, math, os, struct, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


# --- bundles, signed with the key FuzzBundle trusts: the 32 bytes 1..32 -------------------------

def bundles():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(public).digest()[:8].hex()

    def bundle(version, parts, schools=("*",), issued="2027-01-15T08:00:00Z", expires="2027-01-16T08:00:00Z"):
        listed = []
        for kind, path, data, clip in parts:
            part = {"kind": kind, "path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            if clip:
                part["clip"] = clip
            listed.append(part)
        manifest = {"expires_at": expires, "format": 1, "issued_at": issued, "key": key_id, "parts": listed,
                    "schools": list(schools), "version": version}
        # As BundleManifest.encoded(): sorted keys, no spaces, slashes unescaped, UTF-8.
        text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        signature = base64.b64encode(key.sign(text)).decode()
        head = b"carillon-bundle 1\nmanifest %d\n" % len(text) + text + b"\nsignature ed25519 " + signature.encode() + b"\n"
        return head + b"".join(p[2] for p in parts)

    schedule = b'version = 8\ntimezone = "Asia/Shanghai"\n[terms]\n"t" = { from = 2027-02-01, to = 2027-07-01 }\n' \
               b'[week]\nmon = "r"\n[timetables.r]\nevents = [{ at = "08:00", play = "bell.start" }]\n'
    plan = b'title = "Fire"\nzones = ["all"]\nsteps = [{ say = "evacuate" }]\n'
    clip = make_wav(rate=8000, frames=400)
    write("bundle", "schedule-only.bundle", bundle(8, [("schedule", "schedule.toml", schedule, None)]))
    write("bundle", "plan-and-clip.bundle", bundle(9, [
        ("plan", "plans/fire.toml", plan, None),
        ("clip", "clips/tip.outdoor.swim-01.wav", clip,
         {"category": "tip", "id": "tip.outdoor.swim-01", "season": "summer", "subject": "outdoor", "title": "防溺水"}),
    ], schools=("sz-0001", "sz-0002")))
    write("bundle", "expired.bundle", bundle(10, [("schedule", "schedule.toml", schedule, None)],
                                             issued="2020-01-01T00:00:00Z", expires="2020-01-02T00:00:00Z"))


# --- audio: a 440 Hz tone, a few hundred frames, in each container libsndfile reads ---------------

def tone(rate, frames, channels):
    return [0.25 * math.sin(2 * math.pi * 440 * (i // channels) / rate) for i in range(frames * channels)]


def make_wav(rate, frames, channels=1):
    samples = b"".join(struct.pack("<h", int(s * 32767)) for s in tone(rate, frames, channels))
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


class SF_INFO(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def encode(fmt, rate, frames, channels=1):
    """Encodes a tone with Debian's libsndfile; returns the file's bytes."""
    lib = ctypes.CDLL("libsndfile.so.1")
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(SF_INFO)]
    lib.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    path = os.path.join(CORPUS, ".encode.tmp")
    info = SF_INFO(0, rate, channels, fmt, 0, 0)
    handle = lib.sf_open(path.encode(), 0x20, ctypes.byref(info))  # SFM_WRITE
    if not handle:
        sys.exit("libsndfile cannot write format 0x%x" % fmt)
    data = tone(rate, frames, channels)
    lib.sf_writef_float(handle, (ctypes.c_float * len(data))(*data), frames)
    lib.sf_close(handle)
    with open(path, "rb") as f:
        out = f.read()
    os.remove(path)
    return out


def audio():
    WAV, FLAC, OGG, MPEG = 0x010000, 0x170000, 0x200000, 0x230000
    PCM_16, VORBIS, OPUS, MPEG_LAYER_III = 0x0002, 0x0060, 0x0064, 0x0082
    write("audio", "tone-8k-mono.wav", make_wav(8000, 800))
    write("audio", "tone-16k-stereo.wav", make_wav(16000, 400, channels=2))
    write("audio", "tone-8k.flac", encode(FLAC | PCM_16, 8000, 800))
    write("audio", "tone-8k.ogg", encode(OGG | VORBIS, 8000, 2000))
    write("audio", "tone-48k.opus", encode(OGG | OPUS, 48000, 4800))
    write("audio", "tone-8k.mp3", encode(MPEG | MPEG_LAYER_III, 8000, 2000))


def ogg_packets(data):
    """The packets of an Ogg stream, in order (RFC 3533): each page's segment table joins lacing
    values into packets; a packet may continue on the next page."""
    packets, current, offset = [], b"", 0
    while offset + 27 <= len(data) and data[offset:offset + 4] == b"OggS":
        segments = data[offset + 26]
        table = data[offset + 27:offset + 27 + segments]
        offset += 27 + segments
        for lacing in table:
            current += data[offset:offset + lacing]
            offset += lacing
            if lacing < 255:
                packets.append(current)
                current = b""
    return packets


def shout():
    """Voice lines as a client sends them after `shout`: base64 Opus packets, then `.`. The first byte
    of each seed is ShoutCheck's limit, in 10 ms steps."""
    with open(os.path.join(CORPUS, "audio", "tone-48k.opus"), "rb") as f:
        packets = [p for p in ogg_packets(f.read()) if not p.startswith((b"OpusHead", b"OpusTags"))]
    lines = [base64.b64encode(p) for p in packets]
    write("shout", "tone.txt", bytes([200]) + b"\n".join(lines + [b"."]) + b"\n")
    write("shout", "tone-over-limit.txt", bytes([3]) + b"\n".join(lines * 3 + [b"."]) + b"\n")
    write("shout", "damaged.txt", bytes([50]) + b"\n".join([lines[0], base64.b64encode(b"\xff" * 40), b"", lines[-1], b"."]))
    write("shout", "not-base64.txt", bytes([50]) + lines[0] + b"\n%%%\n.\n")


# --- the city link: alerts (signed with the same key, and bare for the re-signing path) and bundle notices ---

def city():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(public).digest()[:8].hex()
    issued = 1_800_000_000_000 - 2000  # CityCheck's `now` less 2 s

    def alert(id, **fields):
        body = {"v": 1, "id": id, "key": key_id, "issued": issued, "expires": issued + 600_000, "drill": False}
        body.update(fields)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def envelope(text):
        return json.dumps({"alert": base64.b64encode(text).decode(), "signature": base64.b64encode(key.sign(text)).decode()},
                          sort_keys=True, separators=(",", ":")).encode()

    quake = alert("quake-0001", plan="earthquake", countdown=30, district="futian")
    fire = alert("fire-drill-02", message="各位同学请注意，现在进行消防演练。", schools=["sz-0001", "sz-0002"], drill=True)
    write("city", "quake-countdown.json", envelope(quake))
    write("city", "message-drill.json", envelope(fire))
    write("city", "bare-clip-alert.json", alert("clip-alert-03", clip="alarm.siren"))
    write("city", "not-for-us.json", envelope(alert("other-0004", clip="alarm.siren", schools=["sz-0999"])))
    bundle = b"carillon-bundle 1\n"
    notice = {"v": 1, "version": 12, "digest": "ab" * 32, "sha256": hashlib.sha256(bundle).hexdigest(), "size": len(bundle),
              "inline": base64.b64encode(bundle).decode(), "issued": issued}
    write("city", "notice-inline.json", json.dumps(notice, sort_keys=True).encode())
    del notice["inline"]
    notice["url"] = "https://bureau.example.edu.cn/bundles/12.bundle"
    write("city", "notice-url.json", json.dumps(notice, sort_keys=True).encode())


if __name__ == "__main__":
    bundles()
    audio()
    shout()
    city()
