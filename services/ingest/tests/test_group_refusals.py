"""The refusals of the atomic group use cases (registry_ingest.groups), each with the sentence
and status its caller acts on: wrong command shape, a full group, an empty execute, a second
execute, a download before the commit, an upload refused after its zip was stored. Same world
as test_groups.py (real group store and outbox on migrated SQLite, a fake stager)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from registry_common.errors import RegistryError
from registry_ingest.group_commands import CommandSpec, not_open, parse_command
from services.ingest.tests.test_groups import OWNER, TTL, World, ingest
from services.ingest.tests.test_groups import world as world  # the fixture


async def _refused(call: object) -> RegistryError:
    with pytest.raises(RegistryError) as refused:
        await call  # type: ignore[misc]
    return refused.value


async def test_an_upload_sent_as_json_is_sent_to_the_multipart_route(world: World) -> None:
    group = await world.service.create(OWNER)
    error = await _refused(world.service.add(group["id"], OWNER, CommandSpec("upload", "model")))
    assert error.status == 400
    assert error.message == "Send an upload command as a multipart form to .../commands/upload."


async def test_a_full_group_says_how_many_it_may_hold(world: World) -> None:
    group = await world.service.create(OWNER)
    for n in range(3):
        await world.service.add(group["id"], OWNER, ingest(f"https://example.com/m{n}"))
    error = await _refused(world.service.add(group["id"], OWNER, ingest("https://example.com/x")))
    assert error.status == 413
    assert error.message == (
        "The group already holds 3 commands, the most one group may hold; execute it and "
        "start another."
    )


async def test_a_refused_upload_leaves_no_zip_behind(world: World) -> None:
    group = await world.service.create(OWNER)
    for n in range(3):
        await world.service.add(group["id"], OWNER, ingest(f"https://example.com/m{n}"))
    error = await _refused(
        world.service.add_upload(
            group["id"], OWNER, "dataset", io.BytesIO(b"PK-zip"), "d.zip", None, None
        )
    )
    assert error.status == 413
    assert world.blob_keys(f"groups/{group['id']}/") == []


async def test_an_empty_group_is_not_executed(world: World) -> None:
    group = await world.service.create(OWNER)
    error = await _refused(world.service.execute(group["id"], OWNER))
    assert error.status == 400
    assert error.message == "The group has no commands yet; add at least one, then execute."


async def test_an_unknown_group_is_a_404_for_its_caller(world: World) -> None:
    error = await _refused(world.service.get("nope", OWNER))
    assert error.status == 404
    assert error.message == "No group request has id 'nope' (for you)."


async def test_a_group_executes_once_and_downloads_only_when_committed(world: World) -> None:
    group = await world.service.create(OWNER)
    gid = group["id"]
    await world.service.add(gid, OWNER, ingest("https://example.com/a/alpha"))
    early = await _refused(world.service.snapshot(gid, OWNER))
    assert early.status == 409
    assert early.message == (
        f"The group {gid!r} is open; only an executed (committed) group can be downloaded."
    )
    await world.service.execute(gid, OWNER)
    again = await _refused(world.service.execute(gid, OWNER))
    assert again.status == 409
    assert again.message == f"The group {gid!r} was already executed (committed); create a new one."
    late = await _refused(world.service.add(gid, OWNER, ingest("https://example.com/b")))
    assert late.message == again.message
    members = await world.service.snapshot(gid, OWNER)
    assert [row.name for row in members] == ["alpha"]


async def test_the_store_says_why_it_added_nothing(world: World) -> None:
    group = await world.service.create(OWNER)
    gid = group["id"]
    command = parse_command(gid, ingest("https://example.com/a"))
    late = world.clock.now + timedelta(seconds=TTL + 1)
    assert await world.store.append(command, now=late, limit=3) == "expired"
    ghost = parse_command("no-such-group", ingest("https://example.com/a"))
    assert await world.store.append(ghost, now=world.clock.now, limit=3) == "missing"
    assert await world.store.commands([]) == []
    assert await world.store.snapshot([]) == []
    assert [g.id for g in await world.store.listing(None, limit=10)] == [gid]
    await world.store.clear()
    assert await world.store.listing(None, limit=10) == []


@pytest.mark.parametrize(
    ("state", "status", "sentence"),
    [
        ("expired", 410, "The group request 'g1' expired; create a new one."),
        ("executing", 409, "The group 'g1' is being executed; wait for its outcome."),
        ("failed", 409, "The group 'g1' was already executed (failed); create a new one."),
        ("missing", 404, "No group request has id 'g1' (for you)."),
    ],
)
def test_a_group_that_is_not_open_says_what_it_is(state: str, status: int, sentence: str) -> None:
    error = not_open("g1", state)
    assert (error.status, error.message) == (status, sentence)
