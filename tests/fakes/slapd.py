"""A throwaway OpenLDAP ``slapd`` on 127.0.0.1: its own slapd.conf, an mdb database in a
temporary folder, a test CA's certificate for StartTLS and ldaps, killed at the end.

Debian's system slapd is never used or touched: this starts another process from
``/usr/sbin/slapd``. Its database does not sync to disk on each write (``dbnosync``): it
is thrown away anyway, and the benchmark then measures rostersync, not the disk. It runs
with ``-d stats``, so its log (``log_path``) names every operation (``MOD dn=...``), which
tests count.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ldap3

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
AD_SCHEMA = Path(__file__).with_name("ad.schema")
SUFFIX = "dc=school,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-not-for-production"
SERVICE_DN = f"cn=rostersync,{SUFFIX}"
SERVICE_PASSWORD = "service-Pa55word-canary"
READER_DN = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-Pa55word"

CONFIG = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {ad_schema}
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {work}/slapd.pid
argsfile {work}/slapd.args
sizelimit unlimited
TLSCACertificateFile {work}/ca.pem
TLSCertificateFile {work}/server.pem
TLSCertificateKeyFile {work}/server.key

database mdb
maxsize 4294967296
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {work}/db
dbnosync
index objectClass eq
index uid,sAMAccountName,cn eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="{service_dn}" write by * read
"""


def slapd_missing() -> str | None:
    """Why slapd cannot run here, or None."""
    if not Path(SLAPD).is_file():
        return "slapd is not installed (Debian packages slapd and ldap-utils)"
    if not (SCHEMA_DIR / "core.schema").is_file():
        return f"slapd's schema files are not in {SCHEMA_DIR}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SEARCH_LINE = re.compile(
    r"(conn=\d+ op=\d+) SRCH (?:base=\"(.*?)\" scope=\d+ deref=\d+ filter=\"(.*)\"|attr=(.*))$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Search:
    """One search slapd logged."""

    base: str
    filter: str
    attributes: tuple[str, ...]


@dataclass
class Slapd:
    """A running slapd: where it listens, its CA, and its log of operations."""

    work: Path
    port: int
    tls_port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.work / "ca.pem"

    @property
    def log_path(self) -> Path:
        return self.work / "slapd.log"

    def admin(self) -> Any:
        """An ldap3 connection bound as the database's root DN."""
        return ldap3.Connection(
            ldap3.Server(self.url, get_info=ldap3.NONE),
            ROOT_DN,
            ROOT_PASSWORD,
            auto_bind=True,
            raise_exceptions=True,
        )

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def operations(self, since: int = 0, kind: str = "MOD") -> list[str]:
        """The log lines of operations of ``kind`` (``MOD``, ``ADD``, ``DEL``, ``MODRDN``,
        ``SRCH``) since a ``log_mark``."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        head = f" {kind} base=" if kind == "SRCH" else f" {kind} dn="
        return [line for line in text.splitlines() if head in line]

    def searches(self, since: int = 0) -> list[Search]:
        """Every search since a ``log_mark``: its base, filter and the attributes asked
        for (slapd logs them on a second line of the same operation)."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        found: dict[str, Search] = {}
        for match in _SEARCH_LINE.finditer(text):
            op, base, search_filter, attrs = match.groups()
            if base is not None:
                found[op] = Search(base, search_filter, ())
            elif op in found:
                found[op] = Search(found[op].base, found[op].filter, tuple(attrs.split()))
        return list(found.values())


def _certificates(work: Path) -> None:
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("localhost")
    ca.cert_pem.write_to_path(str(work / "ca.pem"))
    server.private_key_pem.write_to_path(str(work / "server.key"))
    server.cert_chain_pems[0].write_to_path(str(work / "server.pem"))
    (work / "server.key").chmod(0o600)


def _wait_until_up(slapd: Slapd, deadline: float) -> None:
    while True:
        if slapd.process.poll() is not None:
            raise RuntimeError(f"slapd exited: {slapd.log_path.read_text()[-3000:]}")
        try:
            slapd.admin().unbind()
            return
        except ldap3.core.exceptions.LDAPException:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"slapd did not start: {slapd.log_path.read_text()[-3000:]}"
                ) from None
            time.sleep(0.1)


def seed_ldif() -> list[str]:
    """The suffix and the two accounts every test server starts with, as LDIF."""
    lines = [f"dn: {SUFFIX}", "objectClass: dcObject", "objectClass: organization"]
    lines += ["dc: school", "o: School", ""]
    for dn, password in ((SERVICE_DN, SERVICE_PASSWORD), (READER_DN, READER_PASSWORD)):
        lines += [f"dn: {dn}", "objectClass: organizationalRole"]
        lines += ["objectClass: simpleSecurityObject", f"cn: {dn[3:].split(',')[0]}"]
        lines += [f"userPassword: {password}", ""]
    return lines


def _load(work: Path, entries: Iterable[str]) -> None:
    """Load LDIF into the stopped server's database with ``slapadd`` (quick, offline)."""
    ldif = work / "seed.ldif"
    with ldif.open("w", encoding="utf-8") as out:
        for line in [*seed_ldif(), *entries]:
            out.write(line + "\n")
    subprocess.run(
        [SLAPADD, "-q", "-f", str(work / "slapd.conf"), "-l", str(ldif)],
        check=True,
        capture_output=True,
    )
    ldif.unlink()


@contextmanager
def running_slapd(work: Path, entries: Iterable[str] = ()) -> Iterator[Slapd]:
    """A fresh slapd in ``work`` (made empty first), its database loaded with the seed
    and ``entries`` (LDIF lines), stopped and killed on exit."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "db").mkdir(parents=True)
    _certificates(work)
    (work / "slapd.conf").write_text(
        CONFIG.format(
            schema=SCHEMA_DIR,
            ad_schema=AD_SCHEMA,
            work=work,
            suffix=SUFFIX,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
            service_dn=SERVICE_DN,
        )
    )
    _load(work, entries)
    port, tls_port = free_port(), free_port()
    urls = f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
    with (work / "slapd.log").open("wb") as log:
        process = subprocess.Popen(
            [SLAPD, "-f", str(work / "slapd.conf"), "-h", urls, "-d", "stats"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    slapd = Slapd(work=work, port=port, tls_port=tls_port, process=process)
    try:
        _wait_until_up(slapd, time.monotonic() + 30)
        yield slapd
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Tree:
    """One test's own corner of the directory: ``ou=people`` and ``ou=groups`` under a
    fresh ``ou``, so tests sharing one slapd never see each other's entries."""

    base: str

    @property
    def users_dn(self) -> str:
        return f"ou=people,{self.base}"

    @property
    def groups_dn(self) -> str:
        return f"ou=groups,{self.base}"


def make_tree(slapd: Slapd) -> Tree:
    tree = Tree(f"ou=t{uuid.uuid4().hex[:12]},{SUFFIX}")
    admin = slapd.admin()
    for dn in (tree.base, tree.users_dn, tree.groups_dn):
        admin.add(dn, ["organizationalUnit"], {"ou": dn.split(",")[0].split("=")[1]})
    admin.unbind()
    return tree


def add_people(
    slapd: Slapd, tree: Tree, people: Iterable[str], *, active_directory: bool = False
) -> dict[str, str]:
    """An entry per person under ``users_dn`` (``uid`` or, for AD, ``sAMAccountName``,
    with ``userPrincipalName``); returns their DNs by id."""
    admin = slapd.admin()
    made = {}
    for person in people:
        if active_directory:
            dn = f"cn={ldap3.utils.dn.escape_rdn(person)},{tree.users_dn}"
            attributes: dict[str, Any] = {
                "sn": person,
                "sAMAccountName": person,
                "userPrincipalName": f"{person}@school.example",
            }
            admin.add(dn, ["top", "person", "organizationalPerson", "user"], attributes)
        else:
            dn = f"uid={ldap3.utils.dn.escape_rdn(person)},{tree.users_dn}"
            admin.add(dn, ["inetOrgPerson"], {"cn": person, "sn": person})
        made[person] = dn
    admin.unbind()
    return made


def people_in(slapd: Slapd, tree: Tree, *, active_directory: bool = False) -> dict[str, str]:
    """The DN of each person under ``users_dn``, by ``uid`` (or ``sAMAccountName``)."""
    attribute = "sAMAccountName" if active_directory else "uid"
    admin = slapd.admin()
    admin.search(tree.users_dn, f"({attribute}=*)", attributes=[attribute])
    found = {
        str(e["attributes"][attribute][0]): str(e["dn"])
        for e in admin.response
        if e["type"] == "searchResEntry"
    }
    admin.unbind()
    return found
