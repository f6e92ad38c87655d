import pytest

# Helpers that assert, so pytest shows their comparisons in full.
pytest.register_assert_rewrite("tests.rule_cases")
