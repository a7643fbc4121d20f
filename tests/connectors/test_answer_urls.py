"""The URLs a network's answer tells the server to call are taken only over https on the network's own
hosts, or on the API address the deployment configured (where tests put the stand-ins)."""

from __future__ import annotations

import pytest

from hub.publishing.connectors.base import TransientBeforeSend
from hub.publishing.connectors.http import network_url
from hub.publishing.connectors.linkedin import LINKEDIN_DOMAINS
from hub.publishing.connectors.youtube import GOOGLE_DOMAINS

STANDIN = "http://127.0.0.1:8123"


@pytest.mark.parametrize(("url", "domains"), [
    ("https://www.linkedin.com/dms-uploads/sp/v2/D4E10AQ?ca=vector&cn=uploads", LINKEDIN_DOMAINS),
    ("https://api.linkedin.com/mediaUpload/C4E22AQ/feedshare-uploadedImage/0", LINKEDIN_DOMAINS),
    ("https://linkedin.com:443/dms-uploads/x", LINKEDIN_DOMAINS),
    ("https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=AB", GOOGLE_DOMAINS),
    ("https://youtube.googleapis.com/upload/youtube/v3/videos?upload_id=AB", GOOGLE_DOMAINS),
    (f"{STANDIN}/dms-uploads/urn", LINKEDIN_DOMAINS),  # the configured address, even over http
])
def test_the_networks_own_hosts_and_the_configured_address_are_taken(url, domains):
    assert network_url(url, label="LinkedIn", domains=domains, configured=STANDIN) == url


@pytest.mark.parametrize(("url", "host"), [
    ("http://www.linkedin.com/dms-uploads/x", "www.linkedin.com"),  # not https
    ("https://www.linkedin.com:8443/dms-uploads/x", "www.linkedin.com"),  # another port
    ("https://www.linkedin.com.evil.example/dms-uploads/x", "www.linkedin.com.evil.example"),
    ("https://evillinkedin.com/dms-uploads/x", "evillinkedin.com"),
    ("https://www.linkedin.com@evil.example/x", "evil.example"),
    ("https://user@www.linkedin.com/x", "www.linkedin.com"),  # credentials in the URL
    ("https://www.googleapis.com/upload", "www.googleapis.com"),  # Google's host is not LinkedIn's
    ("http://127.0.0.1:8124/dms-uploads/x", "127.0.0.1"),  # loopback, another port than the configured one
    ("https://127.0.0.1:8123/dms-uploads/x", "127.0.0.1"),  # the configured host, another scheme
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("file:///etc/passwd", "none"),
    ("/dms-uploads/x", "none"),
    ("https://www.linkedin.com:port/x", "none"),
])
def test_any_other_address_is_refused_naming_its_host(url, host):
    with pytest.raises(TransientBeforeSend) as refused:
        network_url(url, label="LinkedIn", domains=LINKEDIN_DOMAINS, configured=STANDIN)
    assert str(refused.value) == (f"LinkedIn answered with an address that is not one of its own ({host}): nothing "
                                  "was sent there; trying again later.")
