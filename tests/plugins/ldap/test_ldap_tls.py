"""TLS is verified: StartTLS and ldaps with the test CA work, anything unverified fails
the run with a message that says what to fix."""

from __future__ import annotations

import pytest

from sync.errors import TargetError
from sync.testing import sample_roster, sync_into
from tests.fakes.slapd import Slapd
from tests.plugins.ldap.conftest import MakeTarget

pytestmark = pytest.mark.ldap


def test_start_tls_is_on_by_default_and_verified_with_the_ca_file(
    make_target: MakeTarget, slapd: Slapd
) -> None:
    target = make_target(
        url=f"ldap://localhost:{slapd.port}", start_tls=None, ca_file=str(slapd.ca_file)
    )
    assert sync_into(target, sample_roster()) == []
    assert target.directory.connection.tls_started
    assert target.directory.usage.wrapped_sockets == 1


def test_ldaps_is_verified_with_the_ca_file(make_target: MakeTarget, slapd: Slapd) -> None:
    target = make_target(
        url=f"ldaps://localhost:{slapd.tls_port}", start_tls=None, ca_file=str(slapd.ca_file)
    )
    assert target.read().managed == frozenset()
    assert target.directory.usage.wrapped_sockets == 1


@pytest.mark.parametrize("scheme", ["ldap", "ldaps"])
def test_a_certificate_from_an_unknown_ca_fails_the_run(
    make_target: MakeTarget, slapd: Slapd, scheme: str
) -> None:
    port = slapd.port if scheme == "ldap" else slapd.tls_port
    target = make_target(url=f"{scheme}://localhost:{port}", start_tls=None)
    with pytest.raises(TargetError, match=r"TLS with .* failed: .*ca_file"):
        target.read()


def test_a_certificate_for_another_host_name_fails_the_run(
    make_target: MakeTarget, slapd: Slapd
) -> None:
    # The test certificate names "localhost" only.
    target = make_target(
        url=f"ldaps://127.0.0.1:{slapd.tls_port}", start_tls=None, ca_file=str(slapd.ca_file)
    )
    with pytest.raises(TargetError, match=r"TLS with ldaps://127\.0\.0\.1"):
        target.read()


def test_a_missing_ca_file_is_an_error_before_connecting(
    make_target: MakeTarget, slapd: Slapd
) -> None:
    with pytest.raises(TargetError, match=r"ca_file: .* is not a file"):
        make_target(url=f"ldap://localhost:{slapd.port}", start_tls=None, ca_file="nope.pem")
