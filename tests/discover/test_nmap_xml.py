"""--from-nmap: reading saved nmap XML reports, hostile ones included, and the scope guard.

Everything here is parsing and planning, no packets, except the last tests, which run the CLI
against a banner service on 127.88.5.x in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import cli
from scanner.cli import scan_cmd
from scanner.discover.nmap_xml import (
    MAX_REPORT_BYTES,
    MAX_VALUE_CHARS,
    NmapHost,
    NmapReportError,
    NmapScan,
    NmapService,
    parse_nmap_xml,
    plan_targets,
    read_nmap_report,
)
from scanner.lab.banner import AXIS_FTP, BannerConfig, start_banner
from scanner.match import load_signatures
from scanner.models import DeviceType, Identification
from scanner.probe.nmap import NmapOptions, NmapSupport, imported_results
from scanner.targets import TargetError

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report-schema.json").read_text())

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<nmaprun scanner="nmap" args="nmap -sS -sV -O -oX scan.xml 192.168.1.0/24" start="1795800617"
 version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
"""
TAIL = """<runstats><finished time="1795800700" timestr="Fri Nov 27 17:31:40 2026" elapsed="83.1"
 exit="success"/><hosts up="2" down="1" total="3"/></runstats>
</nmaprun>
"""

# Shaped like `nmap -sS -sV -O` output of a small home network (nmap 7.93).
REPORT = (
    HEAD
    + """<host starttime="1795800617" endtime="1795800690">
<status state="up" reason="arp-response"/>
<address addr="192.168.1.64" addrtype="ipv4"/>
<address addr="c0:56:e3:12:34:56" addrtype="mac" vendor="Hangzhou Hikvision Digital Technology"/>
<hostnames><hostname name="ipcam-garage" type="PTR"/></hostnames>
<ports>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/><service name="http"
 product="Hikvision IP camera httpd" devicetype="webcam" method="probed" conf="10"/></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/><service name="http"
 product="Hikvision IP camera httpd" tunnel="ssl" devicetype="webcam" method="probed" conf="10">
<cpe>cpe:/h:hikvision:ds-2cd2032-i</cpe><cpe>cpe:/o:linux:linux_kernel</cpe></service></port>
<port protocol="tcp" portid="554"><state state="open" reason="syn-ack"/><service name="rtsp"
 method="table" conf="3"/></port>
<port protocol="tcp" portid="8000"><state state="filtered" reason="no-response"/><service
 name="http-alt" method="table" conf="3"/></port>
</ports>
<os><osmatch name="Linux 3.0 - 3.4" accuracy="96" line="1"><osclass type="webcam"
 vendor="Hikvision" osfamily="embedded" osgen="3.X" accuracy="96"><cpe>cpe:/h:hikvision:ipcam</cpe>
</osclass></osmatch></os>
</host>
<host><status state="up" reason="arp-response"/>
<address addr="192.168.1.20" addrtype="ipv4"/>
<address addr="not-a-mac" addrtype="mac"/>
<hostnames/>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh"
 product="Dropbear sshd" version="2019.78" extrainfo="protocol 2.0" ostype="Linux"
 method="probed" conf="10"/></port></ports>
</host>
<host><status state="down" reason="no-response"/>
<address addr="192.168.1.99" addrtype="ipv4"/>
</host>
<host><status state="up" reason="echo-reply"/>
<address addr="fe80::1" addrtype="ipv6"/>
</host>
"""
    + TAIL
)


def write(tmp_path: Path, text: str | bytes, name: str = "scan.xml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def host_xml(ip: str, ports: str = "", state: str = "up", mac: str = "") -> str:
    mac_line = (
        f'<address addr="{mac}" addrtype="mac" vendor="Axis Communications AB"/>' if mac else ""
    )
    return (
        f'<host><status state="{state}" reason="user-set"/>'
        f'<address addr="{ip}" addrtype="ipv4"/>{mac_line}<ports>{ports}</ports></host>\n'
    )


def report_of(*hosts: str) -> str:
    return HEAD + "".join(hosts) + TAIL


# --- a faithful report -------------------------------------------------------------------------


def test_a_saved_report_yields_hosts_macs_ports_and_service_data(tmp_path: Path) -> None:
    scan = read_nmap_report(write(tmp_path, REPORT))

    assert {h.ip for h in scan.hosts} == {"192.168.1.64", "192.168.1.20", "192.168.1.99"}
    assert scan.skipped == ("fe80::1: not an IPv4 address (camsweep scans IPv4)",)
    assert scan.args.startswith("nmap -sS -sV -O")
    cam = scan.host("192.168.1.64")
    assert cam is not None
    assert cam.state == "up"
    assert cam.mac == "C0:56:E3:12:34:56"
    assert cam.mac_vendor == "Hangzhou Hikvision Digital Technology"
    assert cam.hostnames == ("ipcam-garage",)
    assert cam.open_ports == (80, 443, 554)  # 8000 was filtered
    assert (cam.os_name, cam.os_accuracy, cam.os_type) == ("Linux 3.0 - 3.4", 96, "webcam")
    https = cam.service(443)
    assert https is not None
    # python-nmap keeps only the last CPE and drops tunnel/devicetype/method: all read here.
    assert https.fields() == {
        "nmap.service": "ssl/http",
        "nmap.product": "Hikvision IP camera httpd",
        "nmap.devicetype": "webcam",
        "nmap.cpe": "cpe:/h:hikvision:ds-2cd2032-i cpe:/o:linux:linux_kernel",
    }
    # A name nmap took from its port table is a guess, not evidence.
    rtsp = cam.service(554)
    assert rtsp is not None
    assert rtsp.method == "table"
    assert rtsp.fields() == {}
    assert cam.host_fields() == {
        "mac.oui": "C0:56:E3",
        "mac.vendor": "Hangzhou Hikvision Digital Technology",
        "nmap.devicetype": "webcam",
        "nmap.ostype": "embedded",
        "nmap.cpe": "cpe:/h:hikvision:ipcam",
    }
    other = scan.host("192.168.1.20")
    assert other is not None
    assert other.mac is None  # "not-a-mac" is dropped, not carried as evidence
    assert other.service(22) == NmapService(
        port=22,
        state="open",
        name="ssh",
        product="Dropbear sshd",
        version="2019.78",
        extrainfo="protocol 2.0",
        ostype="Linux",
        method="probed",
        conf=10,
    )
    down = scan.host("192.168.1.99")
    assert down is not None
    assert down.state == "down"


def test_imported_evidence_covers_only_ports_still_open_and_is_marked_nmap() -> None:
    scan = parse_nmap_xml(REPORT.encode(), source="scan.xml")
    cam = scan.host("192.168.1.64")
    assert cam is not None
    # 443 closed since the nmap run: its stale evidence is dropped; 554 has none worth keeping.
    results = imported_results(cam, {80, 554}, source="scan.xml")
    assert [(r.port, r.source) for r in results] == [(80, "nmap")]
    assert results[0].fields["nmap.product"] == "Hikvision IP camera httpd"
    assert results[0].reason == "from nmap report scan.xml (service detection)"
    assert results[0].product == "Hikvision IP camera httpd"


def test_weak_os_matches_are_not_evidence() -> None:
    host = NmapHost(ip="192.168.1.5", state="up", os_name="Linux", os_accuracy=84, os_type="webcam")
    assert host.host_fields() == {}


def test_device_text_is_made_printable_and_capped() -> None:
    long = "A" * (MAX_VALUE_CHARS * 3)
    xml = report_of(
        host_xml(
            "192.168.1.7",
            '<port protocol="tcp" portid="80"><state state="open"/><service name="http" '
            'product="Evil\u202e\u0085cam [red]x[/red]\ttab" '
            f'version="{long}" method="probed" conf="10"/></port>',
        )
    )
    scan = parse_nmap_xml(xml.encode(), source="t.xml")
    svc = scan.hosts[0].services[0]
    # Bidi overrides and C1 controls are dropped; markup-like text stays plain text.
    assert svc.product == "Evil cam [red]x[/red] tab"
    assert len(svc.version) == MAX_VALUE_CHARS


# --- hostile and broken files ------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE nmaprun [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<nmaprun><host><status state="up"/><address addr="192.168.1.5" addrtype="ipv4"/>
<hostnames><hostname name="&lol9;"/></hostnames></host></nmaprun>
"""


def test_entity_expansion_is_refused_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(NmapReportError, match="refused: the XML declares entities"):
        read_nmap_report(write(tmp_path, BILLION_LAUGHS))
    assert time.monotonic() - started < 1.0


def test_external_entities_are_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<nmaprun><host><status state="up"/><address addr="192.168.1.5" addrtype="ipv4"/>'
        "<hostnames><hostname name='&xxe;'/></hostnames></host></nmaprun>"
    )
    with pytest.raises(NmapReportError) as caught:
        read_nmap_report(write(tmp_path, xml))
    assert "refused" in str(caught.value)
    assert "TOP-SECRET" not in str(caught.value)


def test_parameter_entities_are_refused(tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>'
        "<nmaprun/>"
    )
    with pytest.raises(NmapReportError, match="refused"):
        read_nmap_report(write(tmp_path, xml))


def test_an_external_dtd_is_never_fetched(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.88.4.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        xml = report_of(host_xml("192.168.1.5")).replace(
            "<!DOCTYPE nmaprun>",
            f'<!DOCTYPE nmaprun SYSTEM "http://127.88.4.1:{port}/evil.dtd">',
        )
        scan = read_nmap_report(write(tmp_path, xml))
        assert [h.ip for h in scan.hosts] == ["192.168.1.5"]
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody came to fetch the DTD
    finally:
        listener.close()


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:  # sparse: costs no disk and no time
        handle.truncate(MAX_REPORT_BYTES + 1)
    started = time.monotonic()
    with pytest.raises(NmapReportError, match="larger than 64 MiB"):
        read_nmap_report(path)
    assert time.monotonic() - started < 1.0


def test_oversized_bytes_are_refused_by_the_parser_too() -> None:
    with pytest.raises(NmapReportError, match="larger than"):
        parse_nmap_xml(b" " * (MAX_REPORT_BYTES + 1), source="stdin")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\xff\x13garbage\x89PNG", "not well-formed XML"),
        (b"Starting Nmap 7.93 ( https://nmap.org )\nNmap scan report for 192.168.1.1", "not well"),
        (REPORT[: len(REPORT) // 2].encode(), "not well-formed XML"),  # an interrupted run
        (b"<report><host/></report>", "not an nmap XML report"),
        (b'<?xml version="1.0" encoding="x-no-such-codec"?><nmaprun/>', "XML"),
        (b"<nmaprun><host/></nmaprun>", "not a complete nmap report"),  # no runstats
        (
            report_of(
                '<host><status state="up"/><address addr="192.168.1.5" addrtype="ipv4"/>'
                '<ports><port protocol="tcp" portid="eighty"><state state="open"/></port></ports>'
                "</host>"
            ).encode(),
            "not a complete nmap report",
        ),
    ],
    ids=[
        "empty",
        "binary",
        "text-output",
        "truncated",
        "other-xml",
        "codec",
        "no-runstats",
        "port",
    ],
)
def test_broken_files_give_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(NmapReportError, match=message) as caught:
        read_nmap_report(write(tmp_path, content))
    assert "\n" not in str(caught.value)


def test_unreadable_paths_give_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(NmapReportError, match="cannot read nmap report"):
        read_nmap_report(tmp_path / "missing.xml")
    with pytest.raises(NmapReportError, match="cannot read nmap report"):
        read_nmap_report(tmp_path)  # a directory


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=512) | st.text(max_size=512).map(str.encode))
def test_any_bytes_parse_or_fail_with_a_report_error(data: bytes) -> None:
    with contextlib.suppress(NmapReportError):
        parse_nmap_xml(data, source="fuzz")


# --- the scope guard ---------------------------------------------------------------------------


def scan_of(*hosts: tuple[str, str]) -> NmapScan:
    return NmapScan(tuple(NmapHost(ip=ip, state=state) for ip, state in hosts))


def test_public_addresses_refuse_the_whole_run() -> None:
    scan = scan_of(("192.168.1.5", "up"), ("8.8.8.8", "up"), ("1.1.1.1", "up"))
    with pytest.raises(NmapReportError) as caught:
        plan_targets(scan, [], allow_public=False, allow_large=False, source="scan.xml")
    text = str(caught.value)
    assert text.startswith("scan.xml: refused, nothing was scanned: 8.8.8.8 is a public")
    assert "--allow-public" in text
    assert "(and 1 more)" in text
    # The owner of those addresses may allow them.
    targets, kept, _ = plan_targets(
        scan, [], allow_public=True, allow_large=False, source="scan.xml"
    )
    assert list(targets) == ["1.1.1.1", "8.8.8.8", "192.168.1.5"]
    assert len(kept.hosts) == 3


@pytest.mark.parametrize("address", ["224.0.0.251", "0.0.0.0", "255.255.255.255", "240.0.0.1"])
def test_non_host_addresses_are_refused_even_when_public_is_allowed(address: str) -> None:
    with pytest.raises(NmapReportError, match="refused"):
        plan_targets(
            scan_of((address, "up")), [], allow_public=True, allow_large=False, source="s.xml"
        )


def test_typed_targets_narrow_the_report_and_down_hosts_are_skipped() -> None:
    scan = scan_of(("127.88.6.1", "up"), ("127.88.6.2", "up"), ("127.88.6.3", "down"))
    targets, kept, notes = plan_targets(
        scan, ["127.88.6.1"], allow_public=False, allow_large=False, source="s.xml"
    )
    assert list(targets) == ["127.88.6.1"]
    assert [h.ip for h in kept.hosts] == ["127.88.6.1"]
    assert notes == (
        "s.xml: 1 hosts nmap found down were skipped",
        "s.xml: 1 hosts outside the targets given were not scanned",
    )


def test_a_public_address_outside_the_typed_targets_is_simply_not_scanned() -> None:
    scan = scan_of(("127.88.6.1", "up"), ("8.8.8.8", "up"))
    targets, _, _ = plan_targets(
        scan, ["127.88.6.0/24"], allow_public=False, allow_large=False, source="s.xml"
    )
    assert list(targets) == ["127.88.6.1"]


def test_a_report_with_nothing_up_or_too_much_is_refused() -> None:
    with pytest.raises(NmapReportError, match="names no host that is up"):
        plan_targets(
            scan_of(("127.88.6.3", "down")), [], allow_public=False, allow_large=False, source="s"
        )
    many = NmapScan(
        tuple(NmapHost(ip=f"10.1.{i // 250}.{i % 250 + 1}", state="up") for i in range(4097))
    )
    with pytest.raises(TargetError, match="--allow-large"):
        plan_targets(many, [], allow_public=False, allow_large=False, source="s")


# --- the command line, against a loopback banner service ---------------------------------------


@contextlib.contextmanager
def banner_in_thread(ip: str, config: BannerConfig) -> Iterator[int]:
    """A banner service on its own event loop and thread, for code that calls asyncio.run."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    port: list[int] = []
    errors: list[BaseException] = []

    async def serve() -> None:
        try:
            async with await start_banner(ip, config) as service:
                port.append(service.port)
                ready.set()
                await stop.wait()
        except BaseException as exc:
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        assert ready.wait(10), "the banner service did not start"
        assert not errors, errors
        yield port[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_cli_starts_from_a_report_and_records_nmap_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ip = "127.88.5.1"
    with banner_in_thread(ip, AXIS_FTP) as port:
        service = (
            f'<port protocol="tcp" portid="{port}"><state state="open"/><service name="ftp" '
            'product="Axis M1031-W Network Camera ftpd" version="5.20" devicetype="webcam" '
            'method="probed" conf="10"><cpe>cpe:/h:axis:m1031-w_network_camera</cpe></service>'
            "</port>"
        )
        xml = report_of(
            host_xml(ip, service, mac="AC:CC:8E:01:02:03"),
            host_xml("127.88.5.2", state="down"),
        )
        out = tmp_path / "report.json"
        code = cli.main(
            [
                "scan",
                "--from-nmap",
                str(write(tmp_path, xml)),
                "--ports",
                "9",  # nothing listens there: the report's port is what gets probed
                "--format",
                "json",
                "-o",
                str(out),
                "-q",
                "--no-credentials",
                "--connect-timeout",
                "0.5",
            ]
        )
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["targets"] == [f"--from-nmap {tmp_path / 'scan.xml'}"]
    (host,) = report["hosts"]
    assert host["ip"] == ip
    assert host["mac"] == "AC:CC:8E:01:02:03"
    assert host["mac_vendor"] == "Axis Communications AB"
    assert "nmap" in host["discovered_by"]
    sources = sorted((s["port"], s["source"]) for s in host["services"])
    assert sources == [(port, "camsweep"), (port, "nmap")]
    nmap_service = next(s for s in host["services"] if s["source"] == "nmap")
    assert nmap_service["fields"]["nmap.product"] == "Axis M1031-W Network Camera ftpd"
    assert host["vendor"] == "Axis"
    assert host["device_type"] == "camera"
    # camsweep reads the model in the greeting itself since issue 13: nmap's report agrees
    assert host["identified_by"][0].startswith("nmap agrees")
    assert any(r["method"] == "nmap" and r["hosts"] == 1 for r in report["discovery"])
    assert "scan.xml: 1 hosts nmap found down were skipped" in report["notes"]


def test_the_nmap_line_counts_the_devices_the_report_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The "How devices were found" line said "nmap 2" beside a report of one device: it
    counted every host of the nmap report, also one nmap saw up that no longer answers."""
    ip, gone = "127.88.5.1", "127.88.5.3"
    with banner_in_thread(ip, AXIS_FTP) as port:
        open_port = '<port protocol="tcp" portid="{}"><state state="open"/></port>'
        xml = report_of(
            host_xml(ip, open_port.format(port)),
            host_xml(gone, open_port.format(9)),  # nothing listens on 127.88.5.3 now
        )
        out = tmp_path / "report.json"
        text = tmp_path / "report.txt"
        argv = ["scan", "--from-nmap", str(write(tmp_path, xml)), "--ports", "9", "-q",
                "--no-credentials", "--connect-timeout", "0.5", "--width", "200", "--format",
                "json", "-o", str(out), "--format", "text", "-o", str(text)]  # fmt: skip
        code = cli.main(argv)
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert [h["ip"] for h in report["hosts"]] == [ip]
    (run,) = [r for r in report["discovery"] if r["method"] == "nmap"]
    listed = [h for h in report["hosts"] if "nmap" in h["discovered_by"]]
    assert run["hosts"] == len(listed) == report["summary"]["hosts_up"] == 1
    assert run["reason"].endswith("; 1 of its 2 hosts did not answer camsweep")
    ran = next(line for line in text.read_text().splitlines() if line.strip().startswith("ran:"))
    assert "nmap 1" in ran, ran


def test_cli_refuses_an_out_of_scope_report_without_scanning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("an out-of-scope report was scanned")

    monkeypatch.setattr(scan_cmd, "run_scan", must_not_scan)
    xml = report_of(host_xml("127.88.5.3"), host_xml("8.8.8.8"))
    code = cli.main(["scan", "--from-nmap", str(write(tmp_path, xml)), "-q"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1
    assert "refused, nothing was scanned: 8.8.8.8 is a public" in err


def test_cli_reports_a_hostile_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["scan", "--from-nmap", str(write(tmp_path, BILLION_LAUGHS)), "-q"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.startswith("camsweep: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert os.path.exists(tmp_path / "scan.xml")  # the file is left alone


@pytest.mark.asyncio
async def test_the_reports_host_evidence_counts_as_nmap_deciding() -> None:
    host = NmapHost(
        ip="127.88.6.9",
        state="up",
        os_name="Linux 2.6.18 (embedded)",
        os_accuracy=96,
        os_type="webcam",
        os_family="Linux",
    )
    support = NmapSupport(
        NmapOptions(imported=NmapScan((host,)), source="s.xml"), load_signatures()
    )
    step = await support.after_probes(
        host.ip, (), {80}, Identification(), deadline=time.monotonic() + 30
    )
    assert step.services == ()
    assert step.ident.device_type is DeviceType.CAMERA
    assert step.ident.identified_by[0] == (
        "nmap decided the device type: nmap-webcam-device-type matched only with nmap's evidence"
    )
    assert step.notes == ("nmap's OS guess from s.xml: Linux 2.6.18 (embedded) (96% accuracy)",)
