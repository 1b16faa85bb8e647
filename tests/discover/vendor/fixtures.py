"""Answer bytes published by others, each with its source. Where a source redacted a value or
printed a binary header as text, the note says what was filled in; nothing else is changed.
"""

from __future__ import annotations

import json
import struct

# --- Hikvision SADP -------------------------------------------------------------------------

# UniversalScanner (julienblitte/UniversalScanner), UniversalScanner/Hikvision.selftest: the
# answer the tool's own self-test feeds its SADP parser. Verbatim.
SADP_UNIVERSALSCANNER = b"""<?xml version="1.0" encoding="UTF-8"?>
<ProbeMatch><Uuid>11223344-5566-7788-9900-112233445566</Uuid>
<Types>inquiry</Types>
<DeviceType>123456</DeviceType>
<DeviceDescription>Virtual</DeviceDescription>
<DeviceSN>Virtual-123456789</DeviceSN>
<CommandPort>8000</CommandPort>
<HttpPort>80</HttpPort>
<MAC>00-11-22-33-44-55</MAC>
<IPv4Address>127.0.0.1</IPv4Address>
<IPv4SubnetMask>255.0.0.0</IPv4SubnetMask>
<IPv4Gateway>127.0.0.1</IPv4Gateway>
<IPv6Address>::</IPv6Address>
<IPv6Gateway>::</IPv6Gateway>
<IPv6MaskLen>64</IPv6MaskLen>
<DHCP>false</DHCP>
<AnalogChannelNum>0</AnalogChannelNum>
<DigitalChannelNum>1</DigitalChannelNum>
<SoftwareVersion>V1.0build 200101</SoftwareVersion>
<DSPVersion>V1.0build 200101</DSPVersion>
<BootTime>1970-01-01 00:00:00</BootTime>
<ResetAbility>false</ResetAbility>
<DiskNumber>0</DiskNumber>
<Activated>true</Activated>
<PasswordResetAbility>true</PasswordResetAbility>
<PasswordResetModeSecond>true</PasswordResetModeSecond>
<SupportHCPlatform>true</SupportHCPlatform>
<HCPlatformEnable>flase</HCPlatformEnable>
<IsModifyVerificationCode>true</IsModifyVerificationCode>
</ProbeMatch>
"""

# A DS-2CD2385G1-I camera's ProbeMatch, quoted in a comment of a public Go camera-discovery
# helper (ONVIF/SADP/DHIP probes for a desktop app; found through the reference index, its
# repository name was not recorded). Verbatim, indentation removed.
SADP_DS2CD2385 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ProbeMatch>
<Uuid>e8ecfe09-90e4-44c0-842b-703f46b58c81</Uuid>
<Types>inquiry</Types>
<DeviceType>141945</DeviceType>
<DeviceDescription>DS-2CD2385G1-I</DeviceDescription>
<DeviceSN>DS-2CD2385G1-I20200414AAWRE33842150</DeviceSN>
<CommandPort>8000</CommandPort>
<HttpPort>80</HttpPort>
<MAC>58-50-ed-1f-e3-85</MAC>
<IPv4Address>192.168.124.40</IPv4Address>
<IPv4SubnetMask>255.255.255.0</IPv4SubnetMask>
<IPv4Gateway>192.168.124.1</IPv4Gateway>
<IPv6Address>::</IPv6Address>
<IPv6Gateway>::</IPv6Gateway>
<IPv6MaskLen>64</IPv6MaskLen>
<DHCP>true</DHCP>
<AnalogChannelNum>0</AnalogChannelNum>
<DigitalChannelNum>1</DigitalChannelNum>
<SoftwareVersion>V5.6.2build 190701</SoftwareVersion>
<DSPVersion>V7.3 build 190626</DSPVersion>
<BootTime>1970-01-15 02:44:11</BootTime>
<Encrypt>true</Encrypt>
<ResetAbility>false</ResetAbility>
<DiskNumber>0</DiskNumber>
<Activated>true</Activated>
<PasswordResetAbility>true</PasswordResetAbility>
<PasswordResetModeSecond>true</PasswordResetModeSecond>
<DetailOEMCode>1</DetailOEMCode>
<SupportSecurityQuestion>true</SupportSecurityQuestion>
<SupportHCPlatform>true</SupportHCPlatform>
<HCPlatformEnable>flase</HCPlatformEnable>
<IsModifyVerificationCode>true</IsModifyVerificationCode>
<Salt>d8eebc414effc857bed4c3cc203c8b4413f60b00a9f4acc410084358d5fd3f91</Salt>
<DeviceLock>flase</DeviceLock>
<SDKOverTLSPort>8443</SDKOverTLSPort>
<SDKServerStatus>true</SDKServerStatus>
<SDKOverTLSServerStatus>true</SDKOverTLSServerStatus>
<SupportMailBox>true</SupportMailBox>
</ProbeMatch>"""


# --- Dahua DHDiscover ------------------------------------------------------------------------


def dhip(body: bytes, tail: bytes = b"") -> bytes:
    """The 32-byte DHIP header the sources describe (0x20, "DHIP", length at 16 and 24)."""
    size = len(body) + len(tail)
    return struct.pack("<I4sIIIIII", 0x20, b"DHIP", 0, 0, size, 0, size, 0) + body + tail


# "DVR DHCPDiscover (multiple CCTV products) UDP-MIB", a UDP amplification write-up for port
# 37810 (an IPC-HDW5421S answering `\xff`). The write-up prints the datagram as text, the header
# as blanks around "DHIP": the header is rebuilt from the layout; the JSON is verbatim.
DHIP_AMPLIFICATION = dhip(
    b'{ "mac" : "4c:11:bf:c2:0b:9d", "method" : "client.notifyDevInfo", "params" : '
    b'{ "deviceInfo" : { "AlarmInputChannels" : 0, "AlarmOutputChannels" : 0, "DeviceClass" : '
    b'"IPC", "DeviceType" : "IPC-HDW5421S", "HttpPort" : 80, "IPv4Address" : { "DefaultGateway" '
    b': "218.5.136.1", "DhcpEnable" : false, "IPAddress" : "218.5.136.140", "SubnetMask" : '
    b'"255.255.255.0" }, "IPv6Address" : { "DefaultGateway" : "2001:250:3000:1::1:1", '
    b'"DhcpEnable" : false, "IPAddress" : "2001:250:3000:1::1:2\\/112", "LinkLocalAddress" : '
    b'"fe80::4e11:bfff:fec2:0b9d\\/64" }, "MachineName" : "1F006E4PAX00075", "Manufacturer" : '
    b'"Private", "Port" : 37777, "RemoteVideoInputChannels" : 0, "SerialNo" : "1F006E4PAX00075", '
    b'"Vendor" : "Dahua", "Version" : "2.400.0.8", "VideoInputChannels" : 1, '
    b'"VideoOutputChannels" : 16 } } }'
)

# An IPC-HDW1431T1-S4's answer quoted in the same public Go helper as SADP_DS2CD2385, with the
# header it observed (20 00 00 00 "DHIP" ... ef 02 ...) and the "0a 00" tail it strips. JSON
# verbatim; the header length is recomputed for this body.
DHIP_HDW1431 = dhip(
    b'{"mac":"08:ed:ed:87:42:7a","method":"client.notifyDevInfo","params":{"deviceInfo":'
    b'{"AlarmInputChannels":0,"AlarmOutputChannels":0,"DeviceClass":"IPC","DeviceID":"",'
    b'"DeviceType":"IPC-HDW1431T1-S4","Find":"BC","FindVersion":1,"HttpPort":80,"IPv4Address":'
    b'{"DefaultGateway":"192.168.124.1","DhcpEnable":true,"IPAddress":"192.168.124.17",'
    b'"SubnetMask":"255.255.255.0"},"IPv6Address":{"DefaultGateway":null,"DhcpEnable":false,'
    b'"IPAddress":"\\/0","LinkLocalAddress":"fe80::0aed:edff:fe87:427a\\/64"},"Init":2714,'
    b'"MachineName":"6C01E93PAG69A7D","Manufacturer":"Private","Port":37777,'
    b'"RemoteVideoInputChannels":0,"SerialNo":"6C01E93PAG69A7D","UnLoginFuncMask":1,'
    b'"Vendor":"Private","Version":"2.800.0000000.13.R","VideoInputChannels":1,'
    b'"VideoOutputChannels":0}}}',
    tail=b"\n\x00",
)

# Rapid7 (Stephen Fewer), LOREX_DISCOVER.rb, Sept 2024: a Lorex W461ASC (Dahua OEM) answer,
# printed as a Ruby hash with MachineName/SerialNo/DeviceID redacted by the author. Turned back
# into JSON; the redacted values are written as the author's asterisks.
DHIP_LOREX = dhip(
    json.dumps(
        {
            "mac": "00:1f:54:a9:2e:58",
            "method": "client.notifyDevInfo",
            "params": {
                "deviceInfo": {
                    "AlarmInputChannels": 0,
                    "AlarmOutputChannels": 0,
                    "DeviceClass": "IPC",
                    "DeviceType": "W461ASC",
                    "HttpPort": 80,
                    "Port3": 80,
                    "Port": 35000,
                    "UnLoginFuncMask": 1,
                    "IPv4Address": {
                        "DefaultGateway": "192.168.86.1",
                        "DhcpEnable": True,
                        "IPAddress": "192.168.86.81",
                        "SubnetMask": "255.255.255.0",
                    },
                    "MachineName": "**************",
                    "Manufacturer": "Private",
                    "RemoteVideoInputChannels": 0,
                    "SerialNo": "**************",
                    "DeviceID": "***************",
                    "Vendor": "Lorex",
                    "Version": "2.800.030000000.3.R",
                    "VideoInputChannels": 1,
                    "VideoOutputChannels": 0,
                    "Init": 1162,
                    "Find": "BC",
                    "FindVersion": 1,
                }
            },
        }
    ).encode()
)


# --- Xiongmai NETSurveillance search (UDP 34569) ------------------------------------------------


def sofia(body: bytes, message: int = 1531) -> bytes:
    """The 20-byte header python-dvr reads (head 0xFF, message id at 14, length at 16)."""
    return struct.pack("<BBHIIHHI", 0xFF, 1, 0, 0, 0, 0, message, len(body)) + body


# A Xiongmai DVR's answer kept as a comment in a public Crystal DVRIP client (xiongmai
# "Command::Network::Common" messages; found through the reference index). JSON verbatim.
SOFIA_CRYSTAL = sofia(
    b'{ "NetWork.NetCommon" : { "ChannelNum" : 1, "DeviceType" : 1, "GateWay" : "0x010BA8C0", '
    b'"HostIP" : "0x6D0BA8C0", "HostName" : "LocalHost", "HttpPort" : 80, "MAC" : '
    b'"00:12:31:08:bb:97", "MaxBps" : 0, "MonMode" : "TCP", "NetConnectState" : 0, '
    b'"OtherFunction" : "D=2019-02-28 17:30:58 V=92a9902100ec7c4", "SN" : "41e6853ada5e9323", '
    b'"SSLPort" : 8443, "Submask" : "0x00FFFFFF", "TCPMaxConn" : 10, "TCPPort" : 34567, '
    b'"TransferPlan" : "Quality", "UDPPort" : 34568, "UseHSDownLoad" : false }, "Ret" : 100, '
    b'"SessionID" : "0x00000000" }\x00'
)

# "Security Assessment of Besder 6024PB-XMA501 IP Camera" (2026), Wireshark capture of the
# camera's broadcast on UDP 34569. The author annotated it with # comments (removed) and
# redacted HostName, MAC and SN: filled with "camera_0000", "00:12:31:00:00:00" and
# "0000000000000000".
SOFIA_BESDER = sofia(
    b'{"NetWork.NetCommon": {"BuildDate": "2020-11-24 16:47:14", "ChannelNum": 1, '
    b'"DeviceType": 24, "GateWay": "0x0100A8C0", "HostIP": "0x6700A8C0", "HostName": '
    b'"camera_0000", "HttpPort": 80, "MAC": "00:12:31:00:00:00", "MonMode": "TCP", '
    b'"NetConnectState": 0, "OtherFunction": "D=2026-01-26 09:39:00 V=d7c59c8b475d964", '
    b'"SN": "0000000000000000", "SSLPort": 8443, "Submask": "0x00FFFFFF", "TCPMaxConn": 10, '
    b'"TCPPort": 34567, "UDPPort": 34568, "UseHSDownLoad": false, "Version": '
    b'"V5.00.R02.00030747.10010.349f17.0000000"}, "Ret": 100, "SessionID": "0x00000000"}'
)

# python-dvr's comment of the search request it sends; and the query python-dvr/HA helpers use.
SOFIA_QUERY = bytes.fromhex("ff00000000000000000000000000fa0500000000")


# --- CS2 / PPPP -------------------------------------------------------------------------------

# DavidVentura/cam-reverse, tests/integration.test.js ("discovers a device"): the MSG_PUNCH_PKT
# its mock camera answers a LanSearch with; expected serial "BATD156362WONJM".
PPPP_CAM_REVERSE = bytes.fromhex("f14100144241544400000000000262ca574f4e4a4d000000")

# --- Ubiquiti --------------------------------------------------------------------------------

# antoine-lombardo/unifi-cam-proxy, adoption-flow.md: a UniFi UVC G3 Flex's discovery answer
# as a hex dump. The author redacted bytes of the MAC and device id as "**": written here as 00.
_UBNT_G3_DUMP = """
01 00 00 9a 02 00 0a 74 ** ** ** db 91 c0 a8 01
de 01 00 06 74 ** ** ** db 91 0a 00 04 00 00 00
ea 0b 00 0b 55 56 43 20 47 33 20 46 6c 65 78 0c
00 0b 55 56 43 20 47 33 20 46 6c 65 78 17 00 04
00 00 00 01 03 00 27 55 56 43 2e 53 32 4c 2e 76
34 2e 37 35 2e 36 32 2e 36 37 2e 65 37 31 63 36
65 35 2e 32 35 30 34 31 31 2e 31 34 32 31 10 00
02 34 a5 20 00 24 39 37 64 35 ** ** ** ** 2d **
** ** ** 2d ** ** ** ** 2d ** ** ** ** 2d ** **
** ** ** ** ** ** 61 39 30 64 2c 00 01 03
"""
UBNT_G3_FLEX = bytes.fromhex(_UBNT_G3_DUMP.replace("**", "00"))

# --- Bosch -----------------------------------------------------------------------------------

# UniversalScanner, UniversalScanner/Bosch.xml.selftest: the XML answer its self-test feeds the
# Bosch parser. Verbatim.
BOSCH_XML_UNIVERSALSCANNER = (
    b'<?xml version="1.0" encoding="UTF-8"?><root xmlns="OEMExt00:device-1-0"><device>'
    b"<deviceType>OEMExt00:device:deviceID0</deviceType><App>1</App><friendlyName>Virtual (XML)"
    b"</friendlyName><unitName></unitName><deviceGUID>0123456789000000000000000000000000000000"
    b"000000000000000000000000</deviceGUID><serialNumber>12345678:12345678</serialNumber>"
    b"<physAddress>00-11-22-33-44-55</physAddress><sessionKey>0000000000000001</sessionKey>"
    b"<unitIPAddress>127.0.0.2</unitIPAddress><unitSubnetMask>255.0.0.0</unitSubnetMask>"
    b"<unitGatewayIp></unitGatewayIp><unitIPv6Address>fe80::1</unitIPv6Address>"
    b"<activeConnections>1</activeConnections><RCPPort>1756</RCPPort><HTTPPort>80</HTTPPort>"
    b"<HTTPSPort>443</HTTPSPort><dhcp>0</dhcp><dhcpState>0</dhcpState><cameraFrontendID>4881"
    b"</cameraFrontendID><Flags>00000000</Flags><Lines>1</Lines><BcJpeg>1</BcJpeg>"
    b"<unitStatelessIPv6Address>::</unitStatelessIPv6Address><scanID></scanID><privacyMode>0"
    b"</privacyMode><ClusterID>0</ClusterID><deviceCapabilities>00000006000100010200050001010002"
    b"000100000d00010500190001000024000100</deviceCapabilities><deviceTypeIDs>00000030000000000"
    b"0001311</deviceTypeIDs></device></root>"
)
