"""The two ways of importing lazily: ``require`` for optional heavy stacks, ``lazy_exports`` for a package's
re-exports (``judgeforge.metrics``' correlations, ``judgeforge.distributed``'s Ray entry points)."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest

import judgeforge.distributed
import judgeforge.metrics
from judgeforge.distributed import spec
from judgeforge.errors import MissingDependencyError
from judgeforge.lazy import require
from judgeforge.metrics import correlation


def test_a_lazy_export_is_imported_on_first_access_only() -> None:
    code = (
        "import sys, judgeforge.metrics as m, judgeforge.distributed as d\n"
        "before = sorted(n for n in ('judgeforge.metrics.correlation', 'judgeforge.distributed.spec', 'numpy')"
        " if n in sys.modules)\n"
        "m.pearson, d.JudgeSpec\n"
        "after = sorted(n for n in ('judgeforge.metrics.correlation', 'judgeforge.distributed.spec')"
        " if n in sys.modules)\n"
        "print(before, after)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[] ['judgeforge.distributed.spec', 'judgeforge.metrics.correlation']"


def test_a_lazy_export_is_the_defining_modules_object() -> None:
    assert judgeforge.metrics.pearson is correlation.pearson
    assert judgeforge.metrics.CORRELATIONS is correlation.CORRELATIONS
    assert judgeforge.distributed.JudgeSpec is spec.JudgeSpec
    from judgeforge.metrics import spearman

    assert spearman is correlation.spearman


@pytest.mark.parametrize("package", [judgeforge.metrics, judgeforge.distributed])
def test_any_other_name_is_an_attribute_error(package: ModuleType) -> None:
    name = package.__name__
    with pytest.raises(AttributeError, match=rf"^module '{name}' has no attribute 'no_such_name'$"):
        package.no_such_name  # noqa: B018 - the access is the test
    assert not hasattr(package, "no_such_name")
    with pytest.raises(ImportError):
        exec(f"from {name} import no_such_name", {})


def test_require_names_the_extra_of_a_missing_stack() -> None:
    with pytest.raises(MissingDependencyError) as info:
        require("judgeforge_absent_stack.sub", "train")
    assert info.value.package == "judgeforge_absent_stack" and info.value.extra == "train"
    assert "pip install 'judgeforge[train]'" in str(info.value)
    assert require("json", "train") is sys.modules["json"]
