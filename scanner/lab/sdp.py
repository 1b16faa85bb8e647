"""Session descriptions for the lab's streams: SDP (RFC 4566) with an H.264 track (RFC 6184).

The SPS in ``sprop-parameter-sets`` is encoded from the frame size rather than copied from a
capture, so a client that decodes it (to show a resolution, say) reads the size we declared.
"""

from __future__ import annotations

import base64

_PPS = bytes.fromhex("68ee3c80")  # pps_id 0, sps_id 0, CABAC, default QP, deblocking control on


class _BitWriter:
    def __init__(self) -> None:
        self._bits: list[int] = []

    def u(self, width: int, value: int) -> None:
        self._bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    def ue(self, value: int) -> None:
        # ITU-T H.264 section 9.1: Exp-Golomb, (len-1) zeros then value+1 in len bits.
        code = value + 1
        self.u(code.bit_length() - 1, 0)
        self.u(code.bit_length(), code)

    def rbsp(self) -> bytes:
        # Section 7.3.2.11: rbsp_stop_one_bit, then zero bits to the byte boundary.
        bits = [*self._bits, 1]
        bits.extend([0] * (-len(bits) % 8))
        return bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))


def _escape(rbsp: bytes) -> bytes:
    # Section 7.4.1: emulation_prevention_three_byte after two zeros before a byte <= 3.
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def h264_sps(width: int, height: int, *, profile_idc: int = 77, level_idc: int = 40) -> bytes:
    """A Main-profile sequence parameter set NAL unit (section 7.3.2.1.1) for 4:2:0 frames."""
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError("frame size must be positive and even")
    mbs_w, mbs_h = -(-width // 16), -(-height // 16)
    bits = _BitWriter()
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4
    bits.ue(2)  # pic_order_cnt_type 2: no B-frames, as cameras stream
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(mbs_w - 1)
    bits.ue(mbs_h - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = mbs_w * 16 - width, mbs_h * 16 - height
    if crop_right or crop_bottom:
        # Section 7.4.2.1.1: 4:2:0 crops in units of two luma samples.
        bits.u(1, 1)
        for offset in (0, crop_right // 2, 0, crop_bottom // 2):
            bits.ue(offset)
    else:
        bits.u(1, 0)
    bits.u(1, 0)  # vui_parameters_present_flag
    header = bytes([0x67, profile_idc, 0x00, level_idc])  # nal_ref_idc 3, nal_unit_type 7
    return header + _escape(bits.rbsp())


def build_sdp(
    *,
    address: str,
    session_name: str,
    width: int = 1920,
    height: int = 1080,
    framerate: int = 25,
    session_id: int = 1,
) -> bytes:
    """An SDP for one H.264 video track with aggregate and per-track control (RFC 2326 C.1.1)."""
    sps = h264_sps(width, height)
    sprop = ",".join(base64.b64encode(nal).decode("ascii") for nal in (sps, _PPS))
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {address}",
        f"s={session_name}",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=range:npt=0-",
        "a=control:*",
        "m=video 0 RTP/AVP 96",
        "b=AS:4096",
        "a=rtpmap:96 H264/90000",
        f"a=fmtp:96 packetization-mode=1;profile-level-id={sps[1:4].hex().upper()};"
        f"sprop-parameter-sets={sprop}",
        f"a=framerate:{framerate}",
        f"a=x-dimensions:{width},{height}",
        "a=recvonly",
        "a=control:trackID=1",
    ]
    # RFC 4566 section 5: lines end in CRLF.
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
