"""The example CI workflow runs the checks the README promises, and reads plan's exit codes right."""

from __future__ import annotations

import yaml

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ferry-plan.yml"


def test_plan_workflow_runs_validate_check_plan_and_comments():
    flow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    assert "pull_request" in flow[True]  # YAML 1.1 reads the key `on` as true
    steps = flow["jobs"]["plan"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    for command in ("ferry validate", "ferry compile --check", "--format markdown", "ferry diff"):
        assert command in script
    # 2 ("changes") is a success; anything else but 0 fails the job.
    assert '[ "$status" -ne 0 ] && [ "$status" -ne 2 ]' in script
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in steps)
    assert flow["permissions"]["pull-requests"] == "write"
