"""The sync plan's decisions (``jcds2.domain.sync``): pure, by content, deletions safe."""

from __future__ import annotations

import json

import pytest

from jcds2.domain.errors import UsageError
from jcds2.domain.sync import (
    DestinationPlan,
    Endpoint,
    PointFile,
    PointKind,
    StepResult,
    SyncAction,
    SyncPlan,
    SyncReport,
    SyncStep,
    plan_destination,
    same_content,
)
from jcds2.domain.usage import PackageUser, UserKind

DEST = Endpoint(PointKind.JCDS)


def entry(
    name: str,
    size: int = 10,
    *,
    md5: str | None = "m",
    sha3: str | None = "s",
    pid: int | None = None,
) -> PointFile:
    return PointFile(name, size, md5=md5, sha3_512=sha3, package_id=pid)


def actions(plan: DestinationPlan) -> dict[str, SyncAction]:
    return {step.file_name: step.action for step in plan.steps}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (entry("a"), entry("a"), True),
        (entry("a"), entry("a", sha3="S"), True),  # case of hex digits does not matter
        (entry("a"), entry("a", 11), False),
        (entry("a"), entry("a", sha3="other"), False),
        (entry("a"), entry("a", md5="other"), False),  # every common hash must agree
        (entry("a", md5=None), entry("a", sha3=None), False),  # no common hash: not known
        (entry("a", sha3=None), entry("a", sha3="x"), True),  # MD5 where SHA3 is missing
    ],
)
def test_same_content_is_size_and_every_common_hash(a: PointFile, b: PointFile, same: bool) -> None:
    assert same_content(a, b) is same


def test_size_alone_never_decides() -> None:
    plan = plan_destination(DEST, [entry("a", md5=None)], [entry("a", sha3=None)], delete=False)

    assert actions(plan) == {"a": SyncAction.REPLACE}


def test_copy_replace_keep_and_no_delete_without_delete() -> None:
    source = [entry("new"), entry("changed", sha3="v2"), entry("same")]
    held = [entry("changed", sha3="v1"), entry("same"), entry("extra")]

    plan = plan_destination(DEST, source, held, delete=False)

    assert actions(plan) == {
        "changed": SyncAction.REPLACE,
        "new": SyncAction.COPY,
        "same": SyncAction.KEEP,
    }
    assert [step.file_name for step in plan.steps] == ["changed", "new", "same"]
    assert not plan.in_sync


def test_delete_what_the_source_does_not_hold_when_nothing_uses_it() -> None:
    plan = plan_destination(DEST, [], [entry("old", pid=3)], delete=True, usage={}, protected=True)

    assert actions(plan) == {"old": SyncAction.DELETE}


def test_a_package_in_use_is_refused_naming_its_users() -> None:
    users = (PackageUser(UserKind.POLICY, 7, "Install Tool"),)
    plan = plan_destination(
        DEST, [], [entry("old", pid=3)], delete=True, usage={3: users}, protected=True
    )

    (step,) = plan.steps
    assert step.action is SyncAction.REFUSE
    assert step.reason is not None
    assert "policy 7 'Install Tool'" in step.reason
    assert not plan.in_sync


def test_force_deletes_a_package_in_use() -> None:
    users = (PackageUser(UserKind.PRESTAGE, 1, "Lab"),)
    plan = plan_destination(
        DEST, [], [entry("old", pid=3)], delete=True, force=True, usage={3: users}, protected=True
    )

    assert actions(plan) == {"old": SyncAction.DELETE}


def test_unknown_usage_refuses_every_protected_deletion() -> None:
    plan = plan_destination(
        DEST, [], [entry("old", pid=3), entry("orphan")], delete=True, usage=None, protected=True
    )

    assert set(actions(plan).values()) == {SyncAction.REFUSE}
    assert all("could not check" in (step.reason or "") for step in plan.steps)


def test_a_plain_folder_is_not_protected() -> None:
    folder = Endpoint(PointKind.FOLDER, "/mirror")
    plan = plan_destination(folder, [], [entry("old")], delete=True, usage=None, protected=False)

    assert actions(plan) == {"old": SyncAction.DELETE}


def test_the_plan_prints_as_json() -> None:
    step = SyncStep("a.pkg", SyncAction.COPY, 10)
    plan = SyncPlan(
        Endpoint(PointKind.FOLDER, "/build"),
        (
            DestinationPlan(DEST, (step,)),
            DestinationPlan(Endpoint(PointKind.SHARE, "/Volumes/X"), error="not mounted"),
        ),
    )

    data = json.loads(plan.to_json())

    assert data["source"] == "folder:/build"
    assert data["in_sync"] is False
    assert data["destinations"][0]["steps"] == [
        {"file": "a.pkg", "action": "copy", "size": 10, "reason": None}
    ]
    assert data["destinations"][0]["counts"]["copy"] == 1
    assert data["destinations"][1] == {
        "destination": "share:/Volumes/X",
        "error": "not mounted",
        "counts": dict.fromkeys(("copy", "replace", "delete", "keep", "refuse"), 0),
        "steps": [],
    }


def test_a_report_is_in_sync_only_when_every_step_succeeded_and_every_point_was_reached() -> None:
    copy = SyncStep("a", SyncAction.COPY, 1)
    plan = SyncPlan(Endpoint(PointKind.FOLDER, "/a"), (DestinationPlan(DEST, (copy,)),))

    assert SyncReport(plan, (StepResult(DEST, copy),)).in_sync
    assert not SyncReport(plan, (StepResult(DEST, copy, "boom"),)).in_sync
    assert not SyncReport(plan, (StepResult(DEST, copy),), dry_run=True).in_sync
    unreachable = SyncPlan(plan.source, (DestinationPlan(DEST, error="down"),))
    assert not SyncReport(unreachable, ()).in_sync


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jcds", Endpoint(PointKind.JCDS)),
        ("share:/Volumes/CasperShare", Endpoint(PointKind.SHARE, "/Volumes/CasperShare")),
        ("./build", Endpoint(PointKind.FOLDER, "./build")),
        ("folder:jcds", Endpoint(PointKind.FOLDER, "jcds")),
    ],
)
def test_endpoints_parse(text: str, expected: Endpoint) -> None:
    assert Endpoint.parse(text) == expected


@pytest.mark.parametrize("text", ["", "share:", "folder:"])
def test_an_endpoint_without_a_path_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        Endpoint.parse(text)
