"""The import flow driven over HTTP, step by step, as a browser would post it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from tests.web.conftest import csrf_of

PREFIX = "/p/roster_csv"


@dataclass
class ImportClient:
    client: httpx.Client
    import_id: str = ""

    @property
    def token(self) -> str:
        return csrf_of(self.client, f"{PREFIX}/import")

    def upload(
        self, content: bytes, filename: str = "pupils.csv", kind: str = "students"
    ) -> httpx.Response:
        answer = self.client.post(
            f"{PREFIX}/import",
            data={"csrf_token": self.token, "source": "school", "kind": kind},
            files={"file": (filename, content, "text/csv")},
        )
        found = re.search(r"/import/([\w-]+)/", answer.headers.get("location", ""))
        if found:
            self.import_id = found.group(1)
        return answer

    @property
    def here(self) -> str:
        return f"{PREFIX}/import/{self.import_id}"

    def preselected(self) -> dict[str, str]:
        """What the columns page chose for each column."""
        page = self.client.get(f"{self.here}/columns")
        assert page.status_code == 200, page.text
        chosen = {}
        for select in re.finditer(r'<select name="(col-\d+)"(.*?)</select>', page.text, re.S):
            picked = re.search(r'<option value="(\w*)" selected', select.group(2))
            chosen[select.group(1)] = picked.group(1) if picked else ""
        return chosen

    def match(self, chosen: dict[str, str] | None = None) -> httpx.Response:
        fields = self.preselected() if chosen is None else chosen
        return self.client.post(f"{self.here}/columns", data={"csrf_token": self.token, **fields})

    def check(self) -> str:
        page = self.client.get(f"{self.here}/check")
        assert page.status_code == 200, page.text
        return page.text

    def row_classes(self) -> dict[int, str]:
        """Line -> the row's classes on the check page ("rejected", "corrected")."""
        return {
            int(line): classes.strip()
            for line, classes in re.findall(r'<tr id="line-(\d+)" class="([^"]*)"', self.check())
        }

    def row_fields(self, line: int) -> dict[str, str]:
        page = self.check()
        block = page[page.index(f'id="line-{line}"') :]
        block = block[: block.index("</tr>")]
        return dict(re.findall(r'name="(f-\w+)" value="([^"]*)"', block))

    def fix(self, line: int, **changes: str) -> httpx.Response:
        fields = self.row_fields(line)
        fields.update({f"f-{name}": value for name, value in changes.items()})
        return self.client.post(
            f"{self.here}/rows/{line}", data={"csrf_token": self.token, **fields}
        )

    def complete(self, token: str | None = None) -> httpx.Response:
        return self.client.post(f"{self.here}/complete", data={"csrf_token": token or self.token})


def flash(client: httpx.Client, response: httpx.Response) -> str:
    """The one-time message the page a redirect leads to shows."""
    page = client.get(response.headers["location"])
    found = re.search(r'<div class="flash[^"]*" role="status">(.*?)</div>', page.text, re.S)
    return found.group(1).replace("&#39;", "'").replace("&gt;", ">") if found else ""
