"""deploy.yml: the site is published after every test passed, with the downloads over 10 MB uploaded
as the commit's release assets and linked at the release download address (a link, never a request)."""

from __future__ import annotations

from tests.test_workflows import by_name


def test_deploy_workflow_uploads_large_downloads_to_release_assets():
    ci, deploy = by_name("ci.yml"), by_name("deploy.yml")
    call = ci["jobs"]["deploy"]
    assert call["uses"] == "./.github/workflows/deploy.yml" and call["needs"] == ["site", "test"]
    assert call["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["on"] == {"workflow_call": None} and deploy["permissions"] == {}
    assert deploy["env"] == {"RELEASE_TAG": "site-${{ github.sha }}"}
    site, release, pages = (deploy["jobs"][name] for name in ("site", "release", "deploy"))
    assert site["permissions"] == {"contents": "read"}
    build = next(step for step in site["steps"] if step.get("run") == "make site")
    assert build["env"]["LEDGER_DOWNLOADS_URL"] == (
        "${{ github.server_url }}/${{ github.repository }}/releases/download/${{ env.RELEASE_TAG }}/")
    assert build["env"]["LEDGER_DOWNLOADS_OVER"] == "10485760"
    assert build["env"]["LEDGER_DOWNLOADS_MAX"] == "2147483647"  # GitHub: a release asset is under 2 GiB
    uploads = {step["with"]["path"] for step in site["steps"] if "upload" in step.get("uses", "")}
    assert uploads == {"public-release/", "public"}
    assert release["permissions"] == {"contents": "write"} and release["if"] == "needs.site.outputs.release == 'true'"
    run = release["steps"][-1]["run"]
    assert 'gh release upload "$RELEASE_TAG" "$ASSETS"/* --repo "$REPO" --clobber' in run
    assert pages["permissions"] == {"pages": "write", "id-token": "write"} and pages["needs"] == ["site", "release"]
    # Only the release job may write to the repository; only deploy may write to Pages.
    writers = {name for name, job in deploy["jobs"].items() if "write" in (job.get("permissions") or {}).values()}
    assert writers == {"release", "deploy"}
    assert not any("upload-pages-artifact" in step.get("uses", "") for job in ci["jobs"].values()
                   for step in job.get("steps", []))  # one Pages artifact per run: deploy.yml's
