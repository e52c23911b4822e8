"""The benchmark's results as a table on the terminal (the JSON file holds them all)."""

from __future__ import annotations


def print_table(result: dict) -> None:
    print(f"\nN = {result['n_records']:,} records, code {result['code_version']}")
    if result["in_process"] is None:
        _print_cli_runs(result)
        return
    print(f"{'stage':<50} {'seconds':>9} {'records/s':>11} {'peak RSS MiB':>13}")
    for s in result["in_process"]["stages"]:
        rate, rss = s["records_per_s"], s["peak_rss_mib"]
        print(f"{s['stage']:<50} {s['seconds']:>9.2f} {rate:>11,} {rss:>13,}")
    ip = result["in_process"]
    print(f"language: {ip['language']}, prefix agreement {ip['language_prefix_agreement']}")
    print(f"records {ip['records']:,}, papers {ip['papers']:,}, statuses {ip['status_counts']}")
    print(f"failed checks: {ip['failed_checks'] or 'none'}; output bytes {ip['output_bytes']}")
    d = ip["duplicates"]
    print(
        f"duplicates: precision {d['precision']}, recall {d['recall']}, F1 {d['f1']} "
        f"({d['pairs_predicted']:,} predicted / {d['pairs_true']:,} true pairs); "
        f"title collisions wrongly merged: {d['title_collisions_merged']}"
    )
    for edit, v in d["recall_by_edit"].items():
        print(f"  recall {edit:<10} {v['recall']:>7} over {v['records']:,} records")
    _print_cli_runs(result)


def _print_cli_runs(result: dict) -> None:
    print(
        f"{'command-line run':<50} {'seconds':>9} {'exit':>5} {'peak RSS MiB':>13}"
        f" {'all processes':>14}"
    )
    for r in result["end_to_end"]:
        extra = (
            f"  language cache hit rate {r['language_cache_hit_rate']}"
            if "language_cache_hit_rate" in r
            else ""
        )
        print(
            f"{r['run']:<50} {r['seconds']:>9.2f} {r['exit']:>5} "
            f"{r['peak_rss_mib'] or '?':>13} {r.get('peak_tree_rss_mib', '?'):>14}{extra}"
        )
        for step, seconds in r.get("steps", {}).items():
            print(f"  step {step:<45} {seconds:>9.2f}")
