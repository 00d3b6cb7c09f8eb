#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into testdata/fuzz/<target>/.

Each seed is a real, valid input taken from the unit tests, the test vectors or testdata/ (the
comment next to it says where), plus a few edge cases. Run it again after changing a seed; crash
inputs found by fuzzing are added to the corpora by hand (named crash-<what>) and are not touched
here. Usage: test/fuzz/make_seeds.py [--root DIR]
"""
import argparse
import hashlib
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]

SED_AID = bytes.fromhex("F04D324D53454401")  # seuicc::M2mSedClient::kAid (M2M-SED.md)
ICCID_RAW = bytes.fromhex("98882101000000000081")  # encodeIccid("8988211000000000018")


def h(text):
    return bytes.fromhex(text.replace(" ", ""))


def tlv(tag, value):
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    elif n <= 0xFFFF:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    else:
        length = bytes([0x83]) + n.to_bytes(3, "big")
    return tag_bytes + length + value


def answers(*responses):
    """The scripted card's framing (test/fuzz/scripted_card.hpp): 2-byte length, then the bytes."""
    return b"".join(struct.pack(">H", len(r)) + r for r in responses)


def cbor(value):
    """Core deterministic CBOR (RFC 8949 §4.2.1) of ints, bytes, str, bool, list and dict, as the
    integrity formats use it (integrity/FORMATS.md); map keys sorted by their encoded bytes."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise ValueError(n)
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    entries = sorted((cbor(k), cbor(v)) for k, v in value.items())
    return head(5, len(entries)) + b"".join(k + v for k, v in entries)


def cose_sign1(payload, unprotected, signature=bytes(64)):
    """A COSE_Sign1 with tag 18 and protected {1: -7} (FORMATS.md §1); the signature is only the
    right size: the parsers are what is fuzzed, not the ECDSA check."""
    return b"\xd2" + cbor([cbor({1: -7}), unprotected, payload, signature])


def integrity_seeds(s):
    """The integrity formats, as test/unit/integrity/samples.hpp builds them."""
    def obj(name, fill, required, action):
        return {1: name, 2: bytes([fill]) * 32, 3: required, 4: action}
    manifest = {1: 3, 2: [obj("@agent", 0xA1, True, 3), obj("@config", 0xC0, True, 2),
                          obj("plugins/extra.so", 0x5E, False, 0)]}
    ueid = b"\x01" + b"\x22" * 16
    nonce = b"\x4e" * 32
    measurements = cbor([["@agent", b"\xa1" * 32], ["@config", b"\xc0" * 32]])
    claims = {6: 1767225600, 10: nonce, 256: ueid, 265: "tag:m2m-uicc.example,2026:iv-eat-1",
              273: [[60, measurements]],
              274: [["m2m-iv-sed", [["@agent", 1], ["@config", 1], ["plugins/extra.so", 4]]]],
              -70001: 3, -70002: 7}
    no_time = dict(claims)
    del no_time[6]
    # A gateway's report (agent/GATEWAY.md §3): two devices, one partial and attested, one full
    # and not.
    submods = {"0102030405060708090a0b0c0d0e0f10": {256: b"\x01" + bytes(range(1, 17)), -70002: 12,
                                                   -70003: 1, -70004: ["/m2m/scls/dev/containers"],
                                                   -70005: True},
               "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf": {256: b"\x01" + bytes(range(0xa0, 0xb0)),
                                                   -70003: 0, -70005: False}}
    gateway = {**claims, 266: submods}
    decision = {1: ueid, 2: nonce, 3: 7, 4: 0, 7: 1767225600, 8: 1767229200}
    partial = {**decision, 4: 1, 5: ["applications/meter", "containers/readings"],
               6: {1: cose_sign1(cbor(manifest), {}),
                   2: [["@agent", "https://nscl.example/integrity/objects/1", b"\xa1" * 32]]}}
    kat = json.loads((ROOT / "testdata" / "vectors" / "cose-sign1-es256.json").read_text())
    s["manifest"] = {
        "payload": cbor(manifest),
        "one-object": cbor({1: 1, 2: [obj("@agent", 0, True, 0)]}),
        "signed-x5chain": cose_sign1(cbor(manifest), {33: [b"\x30\x03\x02\x01\x00", b"\x30\x00"]}),
        "unsorted-keys": h("A2 02 80 01 03"),  # edge: {2: [], 1: 3}, refused
    }
    s["eat"] = {
        "claims": cbor(claims),
        "claims-no-iat": cbor(no_time),
        "signed": cose_sign1(cbor(claims), {4: b"\x11" * 8}),
        "claims-submods": cbor(gateway),
        "signed-submods": cose_sign1(cbor(gateway), {4: b"\x11" * 8}),
        "submods": cbor(submods),  # the map alone, as the gateway hands it to its card
    }
    s["decision"] = {
        "full": cbor(decision),
        "partial-remediation": cbor(partial),
        "deny": cbor({**decision, 4: 2}),
        "signed": cose_sign1(cbor(partial), {4: b"\x22" * 8}),
    }
    s["cose_sign1"] = {
        "cose-wg-sign-pass-03": h(kat["accepted"][0]["cbor_hex"]),  # testdata/vectors
        "cose-wg-ecdsa-sig-01": h(kat["refused"][0]["cbor_hex"]),
        "manifest": s["manifest"]["signed-x5chain"],
        "report": s["eat"]["signed"],
        "decision": s["decision"]["signed"],
        "single-cert": cose_sign1(b"", {33: b"\x30\x00"}),
    }


def iv_sed_client_seeds(s):
    """The IV-SED's answers (IV-SED.md §2, §4) to test/fuzz/iv_sed_client_fuzz.cpp's operations:
    the layouts iv_sed_client_test.cpp's fake card returns; the report is the eat target's."""
    ok = h("9000")
    status = (tlv(0xC0, h("07")) + tlv(0xCF, h("03")) + tlv(0xC1, b"\x22" * 16)
              + tlv(0xD0, h("00000003")) + tlv(0xD1, h("00000007")) + tlv(0xD2, b"\x5a" * 32)
              + tlv(0xD3, b"\x04" + b"\x11" * 64) + tlv(0xD4, b"\x01" * 8) + tlv(0xD5, b"\x02" * 8)
              + tlv(0xE4, h("A1B2C3")))
    blocks = [ok] * 3  # the target's 600-byte manifest or decision: three LOAD BLOCKs
    installed = h("00000004") + b"\x5a" * 32 + ok
    compared = [bytes([1, 1, 2, 4, 1, 1, 3]) + ok, bytes([1, 2, 4]) + ok]
    report = s["eat"]["signed"]
    long_report = report + b"\x00" * (300 - len(report))  # two READ OUTPUTs (256 + 44)

    def signed(r, counter=8):
        return [struct.pack(">HI", len(r), counter) + ok] + [r[i:i + 256] + ok for i in range(0, len(r), 256)]
    decided = h("00 00000008") + ok
    s["iv_sed_client"] = {
        "select": b"\x00" + answers(ok),
        "select-absent": b"\x00" + answers(h("6A82")),
        "status-locked": b"\x01" + answers(status + ok),
        "status-installed": b"\x01" + answers(tlv(0xC0, h("01")) + tlv(0xCF, h("03")) + ok),
        "status-6c": b"\x01" + answers(bytes([0x6C, len(status)]), status + ok),
        "install": b"\x02" + answers(*blocks, installed),
        "install-bad-signature": b"\x02" + answers(*blocks, h("6300")),
        "install-too-large": b"\x02" + answers(ok, h("6A84")),
        "compare": b"\x03" + answers(*compared),
        "compare-index": b"\x03" + answers(h("6A80")),
        "sign": b"\x04" + answers(*signed(report)),
        "sign-chained": b"\x05" + answers(*signed(long_report)),
        "sign-no-manifest": b"\x04" + answers(h("6985")),
        "decide": b"\x06" + answers(*blocks, decided),
        "decide-not-fresh": b"\x06" + answers(*blocks, h("6984")),
        "round": b"\x07" + answers(ok, status + ok, *blocks, installed, *compared, *signed(report),
                                   *blocks, decided),
    }


def seeds():
    s = {}
    # --- se-uicc ---------------------------------------------------------------------------
    s["tlv"] = {
        "ef-dir-entry": h("4F07A0000000871002 5005 5553494D31"),  # tlv_test.cpp
        "multibyte-tags": h("9F7002 0102  BF2D03 800100  5F2001 41  7F218102 AABB"),
        "three-byte-tag": h("DF8F0101FF"),
        "long-length": h("84840000000211 22"),
        "padding": h("00 4F01AA FFFF 5001BB FFFFFFFF"),
        "fcp": h("621C 8205 42210026 04 83022F00 A5038001 71 8A0105 8B032F0602 800200 98"),
        "nested": tlv(0x62, tlv(0xA5, tlv(0xC0, tlv(0x83, h("0A"))))),
        "deep-nesting": b"\x62\x84\x00\x00\x00\x00" * 1,  # edge: an empty constructed object
        "truncated-length": h("6282"),
    }
    s["atr"] = {  # atr_test.cpp
        "emulated-uicc": h("3B9A96803FC7888031E073FE211382900000"),
        "platform-secured": h("3B9A96803FC78C8031E073FE211382900004"),
        "uicc-a": h("3B9E95801FC78031E073FE211B66D0006C091A007C"),
        "uicc-b": h("3B9F96801FC78031A073BE21136743200718000001A5"),
        "uicc-c": h("3B9D95803FC7A08031A073BE21135105830590007C"),
        "uicc-d": h("3B9794803F44908031A073BE210095"),
        "t0-only": h("3B16959B0007011803"),
        "inverse-ts": h("3B3F95008069AF031B03B8FFFF060E833E9F16"),
        "t1-card": h("3BFA1800008131FE454A434F5033315632333298"),
        "bad-tck": h("3B9A96803FC7888031E073FE211382900001"),
        "td-chain-cut": h("3B9A96"),
    }
    s["fcp"] = {  # uicc_test.cpp, fake_uicc.cpp
        "ef-dir": h("621C 8205 42210026 04 83022F00 A5038001 71 8A0105 8B032F0602 800200 98"),
        "ef-iccid": h("620F 82024121 83022FE2 8002000A 8A0105"),
        "adf": tlv(0x62, tlv(0x82, h("7821")) + tlv(0x84, h("A0000000871002FF"))),
        "ef-dir-record": tlv(0x61, tlv(0x4F, h("A0000000871002")) + tlv(0x50, b"USIM1")) + b"\xFF" * 8,
        "ef-dir-sed": tlv(0x61, tlv(0x4F, SED_AID) + tlv(0x50, b"M2M-SED")),
        "ef-dir-empty": b"\xFF" * 38,
        "iccid": ICCID_RAW,
        "fci-not-fcp": h("6F09 8407A0000000871002"),
    }
    s["apdu"] = {
        # FuzzedDataProvider layout: a command APDU, a response APDU, CLA, channel, card answers
        # (each a length-limited string); these are the apdu_test.cpp encodings back to back.
        "select-case4": h("00A4040407A000000087100200") + b"\\\n" + h("6F1A9000") + b"\\\n" + h("0001")
        + h("611A") + b"\\\n" + h("6F18840800") + b"\\\n",
        "read-binary": h("00B000000A") + b"\\\n" + h("6A82") + b"\\\n" + h("0103") + h("6C10") + b"\\\n",
        "extended": h("00B00000000101") + b"\\\n" + h("9000") + b"\\\n" + h("4102") + h("6100"),
        "case3": h("00A4000C023F00") + b"\\\n" + h("9000"),
    }
    sed_full = (tlv(0xC0, h("07")) + tlv(0xCF, h("03")) + tlv(0xC1, bytes(range(16)))
                + tlv(0xC2, h("00000001")) + tlv(0xC3, struct.pack(">Q", 1796083200))
                + tlv(0xC4, b"m2m:scl/device-0001") + tlv(0xC5, b"https://nscl.lab.m2m:8443/m2m")
                + tlv(0xC6, b"mas.lab.m2m") + tlv(0xC7, h("00000002"))
                + tlv(0xC8, struct.pack(">Q", 42)) + tlv(0xC9, struct.pack(">Q", 1796083200))
                + b"".join(tlv(t, h("A1B2C3")) for t in (0xE1, 0xE2, 0xE3, 0xE4, 0xE5)))
    s["sed_status"] = {  # M2M-SED.md §2, the layout m2m_sed_client_test.cpp's fake card returns
        "locked-full": sed_full,
        "installed": tlv(0xC0, h("01")) + tlv(0xCF, h("03")),
        "personalised": tlv(0xC0, h("03")) + tlv(0xC1, bytes(range(16))) + tlv(0xE4, h("010203")),
        "two-nscl": tlv(0xC0, h("07")) + tlv(0xC5, b"https://a/m2m https://b/m2m"),
        "max-expiry": tlv(0xC0, h("07")) + tlv(0xC3, b"\xFF" * 8),
        "unknown-tag": tlv(0xC0, h("07")) + tlv(0xDF, h("00")),
    }
    point = b"\x04" + bytes(range(1, 65))
    s["iv_sed_status"] = {  # IV-SED.md §2, the layout iv_sed_client_test.cpp uses
        "installed": tlv(0xC0, h("01")) + tlv(0xCF, h("03")) + tlv(0xD0, bytes(4)) + tlv(0xD1, bytes(4)),
        "personalised": tlv(0xC0, h("03")) + tlv(0xCF, h("03")) + tlv(0xC1, bytes(range(16)))
                        + tlv(0xD0, bytes(4)) + tlv(0xD1, bytes(4)) + tlv(0xD3, point)
                        + tlv(0xD4, bytes(8)) + tlv(0xD5, bytes(range(8))) + tlv(0xE4, h("010203")),
        "manifest": tlv(0xC0, h("07")) + tlv(0xD0, h("00000005")) + tlv(0xD1, h("0000012C"))
                    + tlv(0xD2, bytes(range(32))) + tlv(0xD3, point),
        "unknown-tag": tlv(0xC0, h("07")) + tlv(0xDF, h("00")),
    }
    # --- secure channel ----------------------------------------------------------------------
    endpoint = tlv(0x82, h("02 01 04 02 FF 0000") + SED_AID)
    endpoints = tlv(0x73, tlv(0x83, ICCID_RAW) + endpoint)
    master = tlv(0x73, tlv(0x87, h("82")) + tlv(0x88, bytes(range(0xA0, 0xB0))))
    connection = tlv(0x73, tlv(0x8B, bytes(range(0xB0, 0xC0))) + tlv(0x8C, bytes(range(0xC0, 0xD0))))
    start = tlv(0x73, tlv(0x8D, bytes(16)))
    s["msc"] = {  # the card sim's answers (ts102484_card_sim.hpp), one step each
        "endpoints-aid": b"\x00" + answers(endpoints + h("9000")),
        "endpoints-chained": b"\x01" + answers(endpoints[:20] + h("62F1"), endpoints[20:] + h("9000")),
        "endpoints-6c": b"\x00" + answers(bytes([0x6C, len(endpoints) + 4]), endpoints + tlv(0x82, h("0201040220 0000") + h("A0")) + h("9000")),
        "endpoints-two": b"\x01" + answers(tlv(0x73, tlv(0x83, ICCID_RAW) + tlv(0x82, h("0201040220 0000 A000000087")) + endpoint) + h("9000")),
        "master-sa": b"\x02" + answers(h("62F3"), master + h("9000")),
        "master-sa-no-kmsa": b"\x02" + answers(h("62F3"), tlv(0x73, tlv(0x87, h("02")) + tlv(0x88, bytes(16))) + h("9000")),
        "connection-sa": b"\x03" + answers(h("62F3"), connection + h("9000")),
        "connection-sa-unknown": b"\x03" + answers(h("6A88")),
        "start": b"\x04" + answers(h("62F3"), start + h("9000")),
        "start-wrong-kmsa": b"\x04" + answers(h("9862")),
        "terminate-csa": b"\x05" + answers(h("9000")),
        "terminate-msa": b"\x06" + answers(h("9000")),
        "get-response": b"\x02" + answers(h("62F3"), h("6117"), master + h("9000")),
    }
    # TRANSACT DATA response blocks: 92 NN while NN more remain, 90 00 with the last.
    value = struct.pack(">I", 1) + bytes(range(32)) + bytes(8)
    secured = tlv(0x86, value)
    s["secured_message"] = {
        "one-block": bytes([1, 255, 0]) + answers(secured + h("9000")),
        "two-blocks": bytes([2, 32, 1]) + answers(secured[:32] + h("9201"), secured[32:] + h("9000")),
        "expected-size": bytes([1, 64, 0x0B]) + answers(secured + h("9000")),
        "wrong-sw": bytes([2, 32, 0]) + answers(secured[:32] + h("9000")),
        "oversized-block": bytes([1, 32, 0]) + answers(secured + h("9000")),
        "raw-value": value,
    }
    s["secured_message_keyed"] = {
        # flags, container size, inner Le, then the inner response (data and status word)
        "kcv": bytes([0x00, 0xFF, 3]) + h("A1B2C3 9000"),  # DERIVE EXPORTED KEY's KCV
        "master-secret": bytes([0x00, 0xFF, 48]) + bytes(range(48)) + h("9000"),
        "sw-only": bytes([0x00, 0x20, 0]) + h("6A88"),
        "max-plaintext": bytes([0x00, 0x20, 0]) + bytes(1022) + h("9000"),
        "over-limit": bytes([0x00, 0xFF, 0]) + bytes(1030) + h("9000"),
        "raw-padding": bytes([0x01, 0xFF, 0]) + h("9000 80") + bytes(13),
        "raw-bad-padding": bytes([0x01, 0xFF, 0]) + h("9000 80") + bytes(12) + h("01"),
        "counter-zero": bytes([0x02, 0xFF, 0]) + h("00000000") + h("9000"),
        "counter-max": bytes([0x02, 0xFF, 0]) + h("FFFFFFFF") + h("9000"),
        "wrong-p2": bytes([0x04, 0xFF, 0]) + h("05") + h("9000"),
        "empty": bytes([0x00, 0xFF, 0]),
    }
    mac = "00112233445566778899aabbccddeeff"
    s["master_sa_record"] = {  # ts102484_master_sa_test.cpp's layout
        "record": (f"msa-record/1 msa_id={bytes(range(0xA0, 0xB0)).hex()} uicc_id={ICCID_RAW.hex()} "
                   f"aid={SED_AID.hex()} container=255 tag={mac}\n").encode(),
        "upper-hex": (f"msa-record/1 msa_id={bytes(range(0xA0, 0xB0)).hex().upper()} uicc_id={ICCID_RAW.hex()} "
                      f"aid={SED_AID.hex()} container=32 tag={mac}").encode(),
        "reordered": (f"  msa-record/1 tag={mac} container=200 aid={SED_AID.hex()} "
                      f"uicc_id={ICCID_RAW.hex()} msa_id={bytes(16).hex()}  ").encode(),
        "duplicate-field": (f"msa-record/1 msa_id={bytes(16).hex()} msa_id={bytes(16).hex()}").encode(),
        "other-version": b"msa-record/2 msa_id=00",
    }
    s["key_file"] = {  # first byte: 0 Kmsa (16), 1 Kmr (32), 2 admin code (8)
        "kmsa-hex": b"\x00" + b"404142434445464748494a4b4c4d4e4f\n",
        "kmsa-spaced": b"\x00" + b"40 41 42 43 44 45 46 47\n48 49 4A 4B 4C 4D 4E 4F\n",
        "kmsa-raw": b"\x00" + bytes(range(0x40, 0x50)),
        "kmr-hex": b"\x01" + (bytes(range(32)).hex() + "\n").encode(),
        "admin-code": b"\x02" + b"3132333435363738",
        "odd-hex": b"\x00" + b"404142434445464748494a4b4c4d4e4",
        "empty": b"\x00",
    }
    # --- provisioning --------------------------------------------------------------------------
    node_hex = "00112233445566778899aabbccddeeff"
    bootstrap_fields = (f"<m2m:securityM2MNodeId>{node_hex}</m2m:securityM2MNodeId>"
                        "<m2m:securityKmrIndex>7</m2m:securityKmrIndex>"
                        "<m2m:securityLifetime>2026-12-01T18:41:12Z</m2m:securityLifetime>"
                        "<m2m:securityMasFqdn>mas.lab.m2m</m2m:securityMasFqdn>"
                        "<m2m:sclId>m2m:scl/device-0001</m2m:sclId>"
                        "<m2m:sclIdList><m2m:sclId>https://nscl.lab.m2m:8443/m2m</m2m:sclId></m2m:sclIdList>")
    connection_fields = ("<m2m:securityConnectionId>18446744073709551615</m2m:securityConnectionId>"
                         "<m2m:securityKmcIndex>4294967295</m2m:securityKmcIndex>"
                         "<m2m:securityLifetime>2026-01-02T03:04:05Z</m2m:securityLifetime>"
                         "<m2m:sclId>m2m:scl/device-0001</m2m:sclId>"
                         "<m2m:securitymIdFlags>tls</m2m:securitymIdFlags>")
    s["param_sets"] = {  # param_sets_test.cpp
        "bootstrap": ('<?xml version="1.0"?>\n<m2m:bootstrapParamSet xmlns:m2m="http://uri.etsi.org/m2m">'
                      + bootstrap_fields + "</m2m:bootstrapParamSet>").encode(),
        "bootstrap-default-ns": ('<bootstrapParamSet xmlns="http://uri.etsi.org/m2m">'
                                 + bootstrap_fields.replace("m2m:", "") + "</bootstrapParamSet>").encode(),
        "connection": ('<m2m:connectionParamSet xmlns:m2m="http://uri.etsi.org/m2m">' + connection_fields
                       + "</m2m:connectionParamSet>").encode(),
        "with-key": ('<m2m:bootstrapParamSet xmlns:m2m="http://uri.etsi.org/m2m">' + bootstrap_fields
                     + "<m2m:securityM2MKey>00</m2m:securityM2MKey></m2m:bootstrapParamSet>").encode(),
        "datetime": b"2026-12-01T18:41:12Z",
        "datetime-offset": b"2026-12-01T17:11:12-01:30",
        "datetime-fraction": b"2026-12-01T18:41:12.250Z",
        "datetime-year-9999": b"9999-12-31T23:59:59Z",
        "datetime-year-0000": b"0000-01-01T00:00:00+14:00",
    }
    # Ub (testdata/vectors/gba-digest-and-usim.json, digest_aka_test.cpp)
    nonce = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M="
    s["digest_challenge"] = {
        "challenge-live-bsf": (f'Digest realm="bsf.home1.net", nonce="{nonce}", qop="auth-int", '
                               'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=AKAv1-MD5').encode(),
        "challenge-escapes": (b'digest  REALM="a\\"b\\\\c",nonce=abc,\tqop=" auth-int ,auth,token", '
                              b'algorithm="akav1-md5", domain="/", stale=TRUE'),
        "authorization-initial": (b'Digest username="001010123456789@ims.mnc001.mcc001.3gppnetwork.org", '
                                  b'realm="bsf.example", nonce="", uri="/", response=""'),
        "authorization-response": (f'Digest username="user1_private@home1.net", realm="bsf.home1.net", '
                                   f'nonce="{nonce}", uri="/", qop=auth-int, nc=00000001, cnonce="0a4f113b", '
                                   'response="d47e4afd3245638428c815924bc5bc69", '
                                   'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=AKAv1-MD5').encode(),
        "authorization-auts": (f'Digest username="user1_private@home1.net", realm="bsf.home1.net", '
                               f'nonce="{nonce}", uri="/", qop=auth-int, nc=00000001, cnonce="0a4f113b", '
                               'response="1d73ea14d997bda5a5f27a0d4e0a1cb3", algorithm=AKAv1-MD5, '
                               'auts="uoU/PBI8z0TpNZbjVcY="').encode(),
        "authentication-info": (b'qop=auth-int, rspauth="be59f2c695429d4d1132f1bb1f81d93e", '
                                b'cnonce="0a4f113b", nc=00000001, nextnonce="x"'),
        "nonce": nonce.encode(),
    }
    bootstrapping_info = ('<?xml version="1.0" encoding="UTF-8"?>\n<BootstrappingInfo xmlns="uri:3gpp-gba">\n'
                          '<btid>I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net</btid>\n'
                          '<lifetime>2030-01-01T00:00:00Z</lifetime>\n</BootstrappingInfo>\n')
    s["bootstrapping_info"] = {
        "vector-200": bootstrapping_info.encode(),
        "prefixed-extension": (b'<g:BootstrappingInfo xmlns:g="uri:3gpp-gba"><g:btid> abc@bsf </g:btid>'
                               b'<g:lifetime>2030-01-01T02:00:00+02:00</g:lifetime><g:Extension>'
                               b'<g:currenttime>2029-12-31T00:00:00Z</g:currenttime></g:Extension>'
                               b'</g:BootstrappingInfo>'),
        "no-lifetime": b'<BootstrappingInfo xmlns="uri:3gpp-gba"><btid>a@b</btid></BootstrappingInfo>',
    }
    s["psk_identity"] = {  # security-profile.md §3
        "kmr": f"{node_hex}.1".encode(),
        "kmc-max": f"{node_hex}.4294967295".encode(),
        "bootstrap": f"{node_hex}.bootstrap".encode(),
        "leading-zero": f"{node_hex}.01".encode(),
        "too-large": f"{node_hex}.4294967296".encode(),
        "upper": f"{node_hex.upper()}.1".encode(),
        # GBA's Ua (TS 33.222 5.4.0.1): the B-TID of a bootstrap, with each separator accepted.
        "ua-semicolon": b"3GPP-bootstrapping;MTIzNDU2Nzg5MDEyMzQ1Ng==@bsf.lab.m2m",
        "ua-dot": b"3GPP-bootstrapping.MTIzNDU2Nzg5MDEyMzQ1Ng==@bsf.lab.m2m",
        "ua-none": b"3GPP-bootstrappingMTIzNDU2Nzg5MDEyMzQ1Ng==@bsf.lab.m2m",
        "ua-empty-rand": b"3GPP-bootstrapping;@bsf.lab.m2m",
    }
    s["sim_profile"] = {
        "test-sim": (ROOT / "testdata/profiles/test-sim.toml").read_bytes(),
        "literal-keys": ('[identity]\nnode_id = "' + node_hex + '"\nscl_id = "m2m:scl/d"\n'
                         'nscl = ["https://nscl.lab.m2m:8443/m2m"]\nmas_fqdn = "mas.lab.m2m"\n'
                         '[kmr]\nkey = "' + "ab" * 32 + '"\nindex = 4294967295\nlifetime_days = 36500\n'
                         '[kmsa]\nkey = "' + "40" * 16 + '"\n[admin]\ncode_file = "admin.code"\n').encode(),
    }
    export = ('{\n  "iccid": "8988211000000000018",\n  "node_id": "' + node_hex + '",\n'
              '  "kmr_index": 1,\n  "kmr_expiry_unix": 1796083200,\n  "kmr": "' + "ab" * 32 + '",\n'
              '  "kmsa": "' + "40" * 16 + '",\n  "kbs": "' + "cd" * 32 + '"\n}\n')
    s["key_export"] = {  # the layout writeKeyExport writes (key_export.cpp)
        "export": export.encode(),
        "no-kbs": export.replace(',\n  "kbs": "' + "cd" * 32 + '"', "").encode(),
        "expiry-9999": export.replace("1796083200", "253402300799").encode(),
        "index-too-large": export.replace('"kmr_index": 1', '"kmr_index": 4294967296').encode(),
        "not-object": b"[1, 2]",
        # the USIM's subscription (GBA): imsi, usim_k and usim_opc go together
        "usim": export.replace('"\n}\n', '",\n  "imsi": "001010123456789",\n  "usim_k": "' + "11" * 16
                               + '",\n  "usim_opc": "' + "22" * 16 + '"\n}\n').encode(),
        # a software-only device's record (agent/GATEWAY.md §5): no card fields, an SCL-ID
        "software": ('{\n  "software": true,\n  "node_id": "' + node_hex + '",\n  "kmr_index": 1,\n'
                     '  "kmr_expiry_unix": 1796083200,\n  "scl_id": "soft-device-1",\n  "kmr": "'
                     + "ab" * 32 + '"\n}\n').encode(),
    }
    record = ('{\n  "node_id": "' + "00112233445566778899aabbccddeeff" + '",\n  "kmr_index": 1,\n'
              '  "kmr_expiry_unix": 1796083200,\n  "kmr": "' + "ab" * 32 + '",\n'
              '  "scl_id": "m2m:scl/device-1"\n}')
    s["device_records"] = {  # the layout writeDeviceRecords writes (device_records.cpp)
        "one": ("[\n" + record + "\n]\n").encode(),
        "software": ("[\n" + record.replace('"\n}', '",\n  "software": true\n}') + "\n]\n").encode(),
        "two-same-node": ("[\n" + record + ",\n" + record + "\n]\n").encode(),
        "empty": b"[]",
        "not-array": record.encode(),
    }
    # --- agent -------------------------------------------------------------------------------
    instance = ('<m2m:contentInstance xmlns:m2m="http://uri.etsi.org/m2m" m2m:id="7">'
                "<m2m:creationTime>2026-12-01T18:41:12Z</m2m:creationTime>"
                "<m2m:contentTypes><m2m:contentType>application/json</m2m:contentType></m2m:contentTypes>"
                "<m2m:contentSize>11</m2m:contentSize><m2m:content>eyJ0IjogMjEuNX0=</m2m:content>"
                "</m2m:contentInstance>")
    s["mid_xml"] = {  # mid_resources.cpp's toXml output, as mid_resources_test.cpp checks it
        "scl": ('<?xml version="1.0"?>\n<m2m:scl xmlns:m2m="http://uri.etsi.org/m2m"><m2m:sclId>m2m:scl/device-0001'
                "</m2m:sclId><m2m:link>coap://device</m2m:link><m2m:expirationTime>2026-12-01T18:41:12Z"
                "</m2m:expirationTime></m2m:scl>").encode(),
        "scl-ival": ('<m2m:scl xmlns:m2m="http://uri.etsi.org/m2m"><m2m:sclId>s</m2m:sclId><m2m:link>l</m2m:link>'
                     "<m2m:integrityValResults><m2m:ivalResults>3</m2m:ivalResults><m2m:signedIvalResult>17"
                     "</m2m:signedIvalResult><m2m:secureTimeStamp>2026-12-01T18:41:12Z</m2m:secureTimeStamp>"
                     "<m2m:eat>0oRDoQEmoQRI-_8</m2m:eat></m2m:integrityValResults>"
                     "<m2m:integrityDecision>0oRDoQEm</m2m:integrityDecision></m2m:scl>").encode(),
        "integrity-challenge": ('<m2m:integrityChallenge xmlns:m2m="http://uri.etsi.org/m2m"><m2m:nonce>'
                                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</m2m:nonce><m2m:expirationTime>"
                                "2026-12-01T18:43:12Z</m2m:expirationTime></m2m:integrityChallenge>").encode(),
        "integrity-decision": b'<m2m:integrityDecision xmlns:m2m="http://uri.etsi.org/m2m">0oRDoQEmoQRI-_8</m2m:integrityDecision>',
        "time": b'<m2m:time xmlns:m2m="http://uri.etsi.org/m2m"><m2m:currentTime>2026-12-07T15:04:05Z</m2m:currentTime></m2m:time>',
        "application": b'<m2m:application xmlns:m2m="http://uri.etsi.org/m2m" m2m:appId="telemetry"/>',
        "container": b'<m2m:container xmlns:m2m="http://uri.etsi.org/m2m" m2m:id="readings"/>',
        "content-instance": instance.encode(),
        "content-instances": ('<m2m:contentInstances xmlns:m2m="http://uri.etsi.org/m2m"><m2m:contentInstanceCollection>'
                              + instance.replace("m2m:contentInstance xmlns:m2m=\"http://uri.etsi.org/m2m\"", "m2m:contentInstance")
                              + "</m2m:contentInstanceCollection></m2m:contentInstances>").encode(),
    }
    # chronyc -c -n tracking / authdata as captured in testdata/agent/chrony (chrony 4.3), each
    # tracking line joined with an authdata one: the target splits its input at the first "\n\n".
    chrony = ROOT / "testdata/agent/chrony"
    s["chrony"] = {
        kind: (chrony / f"tracking-{kind}.csv").read_bytes() + b"\n" + (chrony / f"authdata-{kind}.csv").read_bytes()
        for kind in ("nts", "plain", "local", "unsynchronised")
    }
    s["agent_config"] = {
        "lab": (ROOT / "testdata/agent/lab.toml").read_bytes(),
        "minimal": b'[card]\nkmsa_file = "/etc/m2m-agent/kmsa.key"\n[network]\nmsbf = "https://m"\nconnection = "https://n"\n',
        "retry-edges": (b'[card]\nkmsa_file = "k"\n[network]\nmsbf = "https://m"\nconnection = "https://n"\n'
                        b'[retry]\ninitial_ms = 3600000\ncap_ms = 86400000\nmultiplier = 10.0\njitter = 0.9\nmax_attempts = 1000000\n'),
        "unknown-key": b'[card]\nkmsa_file = "k"\nkmsa = "00"\n',
        "gba": (b'[card]\nkmsa_file = "k"\n[network]\nmsbf = "https://m:1"\nconnection = "https://n:2"\n'
                b'[agent]\nbootstrap = "gba"\nbootstrap_fallback = ["tls"]\nconnection = "gba"\n'
                b'[gba]\nbsf = "http://b:3/"\nua_cipher = "PSK-AES128-GCM-SHA256"\nexpiry_margin_s = 0\n'
                b'tolerate_missing_rspauth = true\nmnc_digits = 3\n'),
    }
    # --- netsim ------------------------------------------------------------------------------
    def request(method, target, body=b"", extra=b""):
        head = f"{method} {target} HTTP/1.1\r\nHost: nscl.lab.m2m:8443\r\n".encode() + extra
        if body or method in ("POST", "PUT"):
            head += f"Content-Length: {len(body)}\r\nContent-Type: application/xml\r\n".encode()
        return head + b"\r\n" + body
    base = "/m2m/scls/1/applications/telemetry/containers/readings"
    s["netsim_http"] = {  # what the agent's mId client sends (mid_client.cpp), on one connection
        "register": request("POST", "/m2m/scls", s["mid_xml"]["scl"].replace(b"m2m:scl/device-0001", b"scl-fuzz")),
        "refresh": request("PUT", "/m2m/scls/1", s["mid_xml"]["scl"].replace(b"m2m:scl/device-0001", b"scl-fuzz")),
        "application": request("POST", "/m2m/scls/1/applications", s["mid_xml"]["application"]),
        "container": request("POST", "/m2m/scls/1/applications/telemetry/containers", s["mid_xml"]["container"]),
        "instance": request("POST", base + "/contentInstances", instance.encode()),
        "keep-alive": request("GET", "/m2m/scls/1") + request("GET", base + "/contentInstances"),
        "expect": request("POST", base + "/contentInstances", instance.encode(), b"Expect: 100-continue\r\n"),
        "chunked": b"POST /m2m/scls HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "two-hosts": b"GET /m2m/scls/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "http10": b"GET /m2m/scls/1 HTTP/1.0\r\nHost: a\r\n\r\n",
        "absolute-form": b"GET http://a/m2m/scls HTTP/1.1\r\nHost: a\r\n\r\n",
        "delete": request("DELETE", "/m2m/scls/1"),
        "challenge": request("POST", "/m2m/integrity/challenge", b""),
        "object": request("GET", "/m2m/integrity/objects/1"),
        "register-report": request("POST", "/m2m/scls", s["mid_xml"]["scl-ival"].replace(b"<m2m:sclId>s<", b"<m2m:sclId>scl-fuzz<")),
        "refresh-report": request("PUT", "/m2m/scls/1", s["mid_xml"]["scl-ival"].replace(b"<m2m:sclId>s<", b"<m2m:sclId>scl-fuzz<")),
        "time": request("GET", "/m2m/time"),
        # a device's SCL registered through its gateway (the fuzz node as the gateway)
        "register-device": request("POST", "/m2m/scls", s["mid_xml"]["scl"].replace(b"m2m:scl/device-0001", b"m2m:scl/" + b"a" * 32)),
        "device-container": request("POST", "/m2m/scls/2/applications/telemetry/containers", s["mid_xml"]["container"]),
    }
    integrity_seeds(s)
    iv_sed_client_seeds(s)
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT / "testdata" / "fuzz")
    args = parser.parse_args()
    for target, files in seeds().items():
        folder = args.root / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (folder / f"seed-{name}").write_bytes(content)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
