"""Entity helpers that stores, clients and the CLI share."""

from __future__ import annotations

from runlab.entities import PagedList, all_pages


def test_all_pages_follows_tokens_from_the_given_one() -> None:
    pages = {None: PagedList([1, 2], "a"), "a": PagedList([], "b"), "b": PagedList([3], None)}
    asked: list[str | None] = []

    def fetch(token: str | None) -> PagedList[int]:
        asked.append(token)
        return pages[token]

    assert all_pages(fetch) == [1, 2, 3]
    assert asked == [None, "a", "b"]
    asked.clear()
    assert all_pages(fetch, "a") == [3]
    assert asked == ["a", "b"]
