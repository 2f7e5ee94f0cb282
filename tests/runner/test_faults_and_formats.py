"""Backend faults, input formats and field mapping."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from runner_helpers import good_row, read_lines, run_cli, verdict_pairs, write_jsonl

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, read_rows, run_grading


def test_flaky_backend_2000_rows_all_graded(tmp_path: Path, cli_env: dict[str, str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(2000)])
    out = tmp_path / "out.jsonl"
    args = [
        "grade",
        str(source),
        "-o",
        str(out),
        "--backend",
        "fake",
        "--backend-option",
        "fail_rate=0.3",
        "--quiet",
    ]
    done = run_cli(*args, "--retry-backoff", "0.001", "--batch-size", "16", env=cli_env)
    assert done.returncode == 0, done.stderr
    lines = read_lines(out)
    assert len(lines) == 2000 and len({line["id"] for line in lines}) == 2000
    assert all(line["failure"] is None and line["score"] in (1, 2, 3, 4, 5) for line in lines)
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["this_run"]["backend_retries"] > 10  # faults happened and were absorbed


ROWS = [{k: v for k, v in good_row(i, id=f"r{i}").items() if k != "reference_answer"} for i in range(6)]
MAPPED = [{"qid": row["id"], "prompt": row["instruction"], "answer": row["response"]} for row in ROWS]


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _parquet(path: Path) -> Path:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    parquet.write_table(pyarrow.Table.from_pylist(MAPPED), path, row_group_size=4)
    return path


def _hf_folder(path: Path) -> Path:
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list(MAPPED).save_to_disk(str(path))
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv", "tsv", "parquet", "hf"])
def test_every_format_with_field_mapping_gives_the_same_verdicts(tmp_path: Path, kind: str) -> None:
    makers = {
        "jsonl": lambda: write_jsonl(tmp_path / "in.jsonl", MAPPED),
        "csv": lambda: _write_csv(tmp_path / "in.csv", MAPPED),
        "tsv": lambda: _write_csv(tmp_path / "in.tsv", MAPPED, "\t"),
        "parquet": lambda: _parquet(tmp_path / "in.parquet"),
        "hf": lambda: _hf_folder(tmp_path / "saved"),
    }
    source = makers[kind]()
    mapping = {"id": "qid", "instruction": "prompt", "response": "answer"}
    options = RunOptions(field_map=mapping, rubric=None, use_cache=False)
    from judgeforge.prompts.rubrics import load_rubric

    options = options.model_copy(update={"rubric": load_rubric("helpfulness")})
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), options)
    assert report.exit_code == 0, read_lines(report.errors)
    reference = write_jsonl(tmp_path / "plain.jsonl", [{k: v for k, v in r.items()} for r in ROWS])
    run_grading(reference, tmp_path / "plain_out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    assert verdict_pairs(tmp_path / "out.jsonl") == verdict_pairs(tmp_path / "plain_out.jsonl")


def test_mapped_column_missing_names_the_column(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"instruction": "q", "response": "a", "rubric": "honesty"}])
    options = RunOptions(field_map={"response": "answer"}, use_cache=False)
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), options)
    [error] = read_lines(report.errors)
    assert error["field"] == "response" and "column 'answer'" in error["message"]


def test_csv_specific_bad_rows(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"id,instruction,response,rubric,reference_answer\n"
        b"a,q1,r1,honesty,\n"  # empty cell: no reference, fine
        b"b,q2,r2,honesty,ref,EXTRA\n"  # more values than columns
        b"c,q3\n"  # short row: response missing
        b"d,q4,caf\xe9,honesty,\n"  # invalid UTF-8
        b"e,q5,,honesty,\n"  # empty response cell
        b'f,"multi\nline",r6,"{""criteria"": ""x""}",\n'  # rubric as a JSON object in a cell
        b"g,q7,r7,honesty,\n"
    )
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    errors = [(error["row"], error["field"], error["message"]) for error in read_lines(report.errors)]
    assert [(row, field) for row, field, _ in errors] == [
        (1, None),
        (2, "rubric"),
        (3, "response"),
        (4, "response"),
        (5, "rubric"),
    ]
    assert "more values than header" in errors[0][2] and "invalid UTF-8" in errors[2][2]
    assert "missing field 'score1_description'" in errors[4][2]
    assert sorted(line["id"] for line in read_lines(report.output)) == ["a", "g"]


def test_format_detection_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        list(read_rows(tmp_path / "missing.jsonl"))
    odd = tmp_path / "data.bin"
    odd.write_text("x")
    with pytest.raises(ConfigError, match="--input-format"):
        list(read_rows(odd))
    rows = list(read_rows(write_jsonl(tmp_path / "x.data", [{"a": 1}]), input_format="jsonl"))
    assert rows[0].row == {"a": 1}
