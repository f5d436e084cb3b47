import httpx
import pytest

from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.vtex.invoice_files import InvoiceDownloadError, download_invoice_xml

FAST = RetryPolicy(attempts=3, initial=0.001, maximum=0.002)


def serve(*answers):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    return httpx.MockTransport(handler), seen


def test_the_xml_is_fetched_without_credentials_retrying_transient_failures():
    transport, seen = serve(httpx.Response(503), httpx.Response(200, content=b"<nfeProc/>"))
    assert (
        download_invoice_xml("https://erp.example/nfe/1.xml", retry=FAST, transport=transport)
        == b"<nfeProc/>"
    )
    assert len(seen) == 2
    assert not any(h.lower().startswith("x-vtex") for h in seen[0].headers)


def test_refusals_oversize_and_bad_addresses_are_errors():
    transport, seen = serve(httpx.Response(404))
    with pytest.raises(InvoiceDownloadError, match="404"):
        download_invoice_xml("https://erp.example/nfe/1.xml?token=abc", retry=FAST, transport=transport)
    assert len(seen) == 1  # a 404 is not retried
    transport, _ = serve(httpx.Response(200, content=b"x" * 2048))
    with pytest.raises(InvoiceDownloadError, match="more than 1024") as caught:
        download_invoice_xml("https://erp.example/nfe/1.xml?token=abc", max_bytes=1024, transport=transport)
    assert "abc" not in str(caught.value)
    with pytest.raises(InvoiceDownloadError, match="http"):
        download_invoice_xml("file:///etc/passwd")
