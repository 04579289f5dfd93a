"""Every exit code README's table lists, and every case of RELIABILITY.md, names the tests
that hold it; this file fails when one has none, or when a named test is gone.

A node id is ``tests/<file>.py::<test function>`` (a module-level ``def test_...``; a
parametrised test is named without its brackets). Extend a row when a test is added
for it; never leave a row empty.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from support import ROOT, SHARED

# README's exit-code table (## Usage, after `snapverify check`): code -> tests.
EXIT_CODES: dict[int, tuple[str, ...]] = {
    0: (
        "tests/test_cli.py::test_compare_unchanged",
        "tests/test_check.py::test_several_snapshots_exit_with_the_first_of_2_5_3_4_75_1_0",
    ),
    1: (
        "tests/test_cli.py::test_compare_changed",
        "tests/test_check_e2e.py::test_the_seed_against_a_real_pywb",
    ),
    2: (
        "tests/test_cli.py::test_usage_errors_exit_2",
        "tests/test_cli.py::test_bad_local_copy",
        "tests/test_check.py::test_bad_network_options_are_one_line_exit_2",
        "tests/test_output.py::test_a_format_a_command_cannot_render_is_refused_as_usage",
        "tests/test_exits.py::test_a_folder_without_local_copies_is_exit_2_no_snapshots_found",
        "tests/test_exits.py::test_a_path_that_does_not_exist_is_one_line_and_writes_nothing",
        "tests/test_exits.py::test_bad_timestamps_are_refused_with_exit_2",
        "tests/test_exits.py::test_a_newer_history_schema_is_exit_2_for_every_command",
        "tests/test_readonly_store.py::test_a_check_that_must_record_says_the_store_is_read_only",
    ),
    3: ("tests/test_check_e2e.py::test_a_private_url_is_refused_without_a_connection",),
    4: (
        "tests/test_check.py::test_the_main_job_offline_says_so_in_one_line_and_exits_4",
        "tests/test_offline.py::test_offline_without_anything_stored_is_unverifiable",
    ),
    5: (
        "tests/test_archive_cmd.py::test_verify_fails_on_a_truncated_file_a_missing_file_and_an_edited_local_copy",
        "tests/test_verify.py::test_a_damaged_history_database_fails_verify",
        "tests/test_output.py::test_verify_prints_no_raw_bytes_and_each_path_once",
        "tests/test_exits.py::test_a_record_that_does_not_decode_still_reports_then_exits_5",
        "tests/test_exits.py::test_a_full_disk_under_the_history_reports_then_exits_5",
        "tests/test_exits.py::test_a_report_to_a_full_device_is_exit_5_one_line",
    ),
    70: ("tests/test_cli.py::test_unexpected_error_is_an_internal_error",),
    75: (
        "tests/test_history_e2e.py::test_an_overlapping_run_exits_75_at_once_and_changes_nothing",
        "tests/test_check.py::test_an_archive_answering_429_is_not_asked_again_and_the_exit_is_75",
    ),
    130: (
        "tests/test_watch.py::test_a_second_signal_interrupts_a_check_in_progress",
        "tests/test_signals.py::test_a_signal_during_a_check_exits_128_plus_it_and_leaves_the_store_whole",
    ),
    141: ("tests/test_exits.py::test_a_reader_that_goes_away_is_exit_141_never_1",),
    143: (
        "tests/test_signals.py::test_a_signal_during_a_check_exits_128_plus_it_and_leaves_the_store_whole",
    ),
}  # fmt: skip

# RELIABILITY.md, cases 1-30: case -> tests.
CASES: dict[int, tuple[str, ...]] = {
    # A. Hostile input
    1: (
        "tests/test_policy.py::test_refused_addresses",
        "tests/test_policy.py::test_allow_private_allows_loopback_only",
        "tests/test_policy.py::test_allow_networks_adds_ranges",
        "tests/test_check_e2e.py::test_a_private_url_is_refused_without_a_connection",
        "tests/test_http.py::test_redirect_to_a_private_address_is_refused_before_connecting",
    ),
    2: (
        "tests/test_policy.py::test_numeric_spellings_are_resolved_then_decided",
        "tests/test_http.py::test_numeric_host_spelling_is_resolved_then_decided",
    ),
    3: (
        "tests/test_http.py::test_redirect_chain_is_followed_hop_by_hop",
        "tests/test_http.py::test_redirect_hops_are_capped",
        "tests/test_http.py::test_redirect_loop_is_an_outcome",
        "tests/test_http.py::test_injected_transport_still_checks_every_hop",
    ),
    4: (
        "tests/test_reliability_cases.py::test_a_connection_goes_to_the_address_that_was_checked",
        "tests/test_policy.py::test_a_name_is_resolved_once_per_policy_and_a_failure_is_asked_again",
    ),
    5: ("tests/test_policy.py::test_suspicious_urls_are_refused",),
    6: (
        "tests/test_policy.py::test_non_http_schemes_are_refused",
        "tests/test_http.py::test_redirect_to_file_is_refused_as_not_http",
    ),
    7: (
        "tests/test_http.py::test_decompression_bomb_is_cut_at_max_bytes",
        "tests/test_http.py::test_default_cap_stops_a_200_mib_bomb_quickly",
        "tests/test_http.py::test_three_stacked_encodings_are_refused",
    ),
    8: (
        "tests/test_http.py::test_slow_drip_is_cut_at_the_deadline",
        "tests/test_check.py::test_a_live_page_slower_than_the_checks_deadline_is_still_a_source",
    ),
    9: (
        "tests/test_anchors.py::test_a_hostile_html_local_copy_is_read_and_repaired_fast",
        "tests/test_extract.py::test_deep_nesting_returns_promptly",
        "tests/test_extract.py::test_unclosed_anchors",
        "tests/test_extract.py::test_huge_text_node",
        "tests/test_pagetype.py::test_pathological_pages_are_classified_quickly",
    ),
    10: ("tests/test_extract.py::test_entities_are_never_expanded",),
    11: (
        "tests/test_cache.py::test_archive_names_cannot_escape_the_cache",
        "tests/test_warc.py::test_manifests",
    ),
    12: ("tests/test_extract.py::test_template_syntax_stays_literal",),
    13: (
        "tests/test_decode.py::test_windows_1251_labelled_utf8_is_detected",
        "tests/test_decode.py::test_latin1_mojibake_of_utf8_is_repaired",
        "tests/test_decode.py::test_decode_html_never_raises",
    ),
    # B. Network faults
    14: (
        "tests/test_rate_limits.py::test_a_429_stops_that_archive_not_its_neighbour_on_the_same_host",
        "tests/test_rate_limits.py::test_a_retry_after_of_no_wait_waits_the_default_pause",
        "tests/test_http.py::test_429_pauses_the_host_then_tries_once_more",
        "tests/test_http.py::test_second_429_stops_the_host_for_good",
        "tests/test_http.py::test_retry_after_above_the_cap_stops_at_once",
        "tests/test_check.py::test_an_archive_answering_429_is_not_asked_again_and_the_exit_is_75",
    ),
    15: (
        "tests/test_http.py::test_503_then_200_is_retried_with_backoff",
        "tests/test_http.py::test_reset_every_time_gives_up_after_the_bounded_tries",
        "tests/test_archives.py::test_network_failure_of_a_capture_is_an_error_outcome",
    ),
    16: (
        "tests/test_http.py::test_truncated_body_is_an_error_and_retried",
        "tests/test_reliability_cases.py::test_a_warc_cut_inside_a_record_is_never_read_as_whole",
        "tests/test_reliability_cases.py::test_compare_refuses_a_warc_capture_10_bytes_short_naming_the_file",
        "tests/test_reliability_cases.py::test_an_offline_check_never_compares_a_stored_capture_cut_short",
    ),
    17: (
        "tests/test_archives.py::test_classify_listing",
        "tests/test_archives.py::test_classify_capture",
    ),
    18: (
        "tests/test_archives.py::test_archived_429_is_a_capture_not_a_rate_limit",
        "tests/test_sources.py::test_a_not_found_page_answered_200_is_a_soft_404",
    ),
    19: ("tests/test_archives.py::test_toolbar_and_raw_versions_give_the_same_text",),
    20: (
        "tests/test_archives.py::test_redirect_capture_followed_within_the_window",
        "tests/test_archives.py::test_redirect_beyond_the_window_is_refused",
        "tests/test_archives.py::test_redirect_loop_ends",
    ),
    21: (
        "tests/test_hostile.py::test_a_hostile_cdx_answer_reads_as_no_entries_with_warnings",
        "tests/test_hostile.py::test_a_listing_whose_first_line_is_garbage_still_reads_its_rows",
        "tests/test_hostile.py::test_a_hostile_cdx_archive_is_one_error_and_the_other_archive_is_reported",
        "tests/test_cdx.py::test_malformed_rows_are_skipped",
        "tests/test_cdx.py::test_empty_listing",
        "tests/test_cdx.py::test_duplicates_are_dropped_and_other_digests_of_the_same_second_kept",
        "tests/test_archives.py::test_wayback_listing_pages_by_resume_key",
    ),
    # C. Data safety and concurrency
    22: (
        "tests/test_warc_kill.py::test_killed_at_each_instrumented_point",
        "tests/test_warc_kill.py::test_killed_at_random_moments",
        "tests/test_cache.py::test_a_check_removes_what_a_killed_run_left",
    ),
    23: (
        "tests/test_archive_cmd.py::test_a_full_disk_leaves_earlier_runs_intact_and_no_temporary_file",
        "tests/test_atomic.py::test_a_failed_write_leaves_the_old_file_and_no_temporary",
        "tests/test_exits.py::test_a_full_disk_under_the_link_cache_reports_then_exits_5",
        "tests/test_evidence.py::test_a_full_disk_at_the_bundle_is_exit_5_and_leaves_nothing",
        "tests/test_archive_cmd.py::test_a_full_disk_under_the_capture_cache_is_exit_5_naming_the_file",
        "tests/test_archive_cmd.py::test_a_full_disk_at_the_history_is_exit_5_after_whole_files",
        "tests/test_offline.py::test_snapshot_changes_on_a_full_disk_reports_then_exits_5",
    ),
    24: ("tests/test_warc.py::test_write_new_never_replaces_and_cleans_up",),
    25: (
        "tests/test_lock.py::test_a_second_holder_fails_at_once_naming_the_file_and_the_pid",
        "tests/test_history_e2e.py::test_an_overlapping_run_exits_75_at_once_and_changes_nothing",
    ),
    26: (
        "tests/test_history.py::test_a_new_database_is_wal_at_the_current_version",
        "tests/test_history.py::test_an_old_database_is_upgraded_and_keeps_its_checks",
        "tests/test_history.py::test_two_processes_writing_at_once_do_not_corrupt_it",
        "tests/test_history.py::test_a_file_that_is_not_a_database_is_an_integrity_error",
    ),
    27: (
        "tests/test_warc.py::test_every_flipped_byte_of_the_body_is_caught",
        "tests/test_warc.py::test_truncated_and_missing_digest",
        "tests/test_archive_cmd.py::test_verify_fails_on_a_flipped_byte_with_the_manifest_as_written_and_rebuilt",
        "tests/test_reliability_cases.py::test_a_warc_cut_anywhere_but_between_records_fails_verify",
    ),
    # D. Report safety
    28: (
        "tests/test_report.py::test_markdown_escapes_page_text",
        "tests/test_html_report.py::test_page_text_is_inert",
        "tests/test_report.py::test_terminal_prints_page_text_literally",
    ),
    29: (
        "tests/test_links.py::test_reports_escape_link_text_and_never_link_other_schemes",
        "tests/test_html_report.py::test_safe_url",
    ),
    30: ("tests/test_html_report.py::test_the_page_is_self_contained_and_declares_its_policy",),
}  # fmt: skip


def readme_exit_codes(text: str) -> list[int]:
    """The codes of README's exit-code table: the ``| N | ... |`` rows of the first table
    whose header is ``| Code | Meaning |``."""
    header = re.search(r"^\|\s*Code\s*\|\s*Meaning\s*\|", text, re.M)
    assert header is not None, "README has no exit-code table (| Code | Meaning |)"
    codes: list[int] = []
    for line in text[header.end() :].splitlines()[1:]:
        if not line.startswith("|"):
            break  # the table ends at its first line that is not a row
        row = re.match(r"\|\s*(\d+)\s*\|", line)
        if row:
            codes.append(int(row[1]))
    return codes


@cache
def _functions(path: Path) -> frozenset[str]:
    """The module-level function names of a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defined = (ast.FunctionDef, ast.AsyncFunctionDef)
    return frozenset(node.name for node in tree.body if isinstance(node, defined))


def _missing(node: str) -> str | None:
    """Why ``node`` names no test, or None when it does."""
    file, sep, name = node.partition("::")
    if not sep or not file.startswith("tests/test_") or not name.startswith("test_"):
        return f"{node}: not tests/test_<name>.py::test_<name>"
    path = ROOT / file
    if not path.is_file():
        return f"{node}: no such file"
    if name not in _functions(path):
        return f"{node}: no such test"
    return None


def test_every_exit_code_of_readmes_table_has_a_test() -> None:
    codes = readme_exit_codes((ROOT / "README.md").read_text(encoding="utf-8"))
    assert {0, 1, 2, 3, 4, 5, 70, 75} <= set(codes)  # the table was found and read
    assert [code for code in codes if not EXIT_CODES.get(code)] == []
    assert sorted(EXIT_CODES) == sorted(codes), "a mapped code is not in README's table"


def test_every_reliability_case_has_a_test() -> None:
    assert sorted(CASES) == list(range(1, 31))
    assert all(CASES.values())
    reliability = SHARED / "RELIABILITY.md"
    if reliability.is_file():  # the numbering read from the document itself, when at hand
        numbered = re.findall(r"^(\d+)\. ", reliability.read_text(encoding="utf-8"), re.M)
        assert sorted(CASES) == sorted(int(n) for n in numbered)


@pytest.mark.parametrize(
    "table", [EXIT_CODES, CASES], ids=["readme exit codes", "RELIABILITY cases"]
)
def test_every_mapped_test_exists(table: dict[int, tuple[str, ...]]) -> None:
    problems = [why for nodes in table.values() for node in nodes if (why := _missing(node))]
    assert problems == []


def test_a_missing_test_is_caught() -> None:
    assert _missing("tests/test_cli.py::test_no_such_thing") == (
        "tests/test_cli.py::test_no_such_thing: no such test"
    )
    assert (
        _missing("tests/test_nowhere.py::test_x") == "tests/test_nowhere.py::test_x: no such file"
    )
    assert _missing("test_cli.py::compare") is not None
    table = "Exit codes:\n\n| Code | Meaning |\n|---|---|\n| 0 | ok |\n| 9 | new |\n\n| 7 | x |\n"
    assert readme_exit_codes(table) == [0, 9]
