"""The Bayesian readout on known numbers."""

import pytest

from samizdat.appeals.bayes import prob_b_beats_a, prob_best, prob_best_monte_carlo, verdict


def test_identical_variants_each_have_an_even_chance():
    assert prob_b_beats_a(20, 2000, 20, 2000) == pytest.approx(0.5, abs=1e-9)


def test_closed_form_matches_a_known_value():
    # 1/100 vs 3/100 with flat priors: P(B > A) ≈ 0.8156 (Beta(4,98) vs Beta(2,100);
    # 400,000 independent draws give 0.8152).
    assert prob_b_beats_a(1, 100, 3, 100) == pytest.approx(0.8156, abs=0.001)


def test_a_clearly_better_variant_is_almost_surely_best():
    assert prob_b_beats_a(10, 5000, 40, 5000) > 0.999


def test_monte_carlo_agrees_with_the_closed_form_and_is_repeatable():
    arms = [(12, 3000), (20, 3000)]
    exact = prob_b_beats_a(12, 3000, 20, 3000)
    first = prob_best_monte_carlo(arms)
    assert first[1] == pytest.approx(exact, abs=0.01)
    assert prob_best_monte_carlo(arms) == first


def test_three_variants_probabilities_sum_to_one_and_rank_the_best():
    chances = prob_best([(10, 4000), (30, 4000), (12, 4000)])
    assert sum(chances) == pytest.approx(1.0)
    assert chances[1] > 0.99


def test_verdict_names_a_clear_winner():
    arms = [(10, 5000), (40, 5000)]
    text = verdict(["A", "B"], arms, prob_best(arms))
    assert text.startswith("Variant B is very likely the best")


def test_verdict_waits_for_enough_data():
    arms = [(1, 90), (3, 100)]
    assert verdict(["A", "B"], arms, prob_best(arms)).startswith("Too early to tell")


def test_verdict_says_when_there_is_no_winner():
    arms = [(25, 5000), (26, 5000)]
    assert verdict(["A", "B"], arms, prob_best(arms)).startswith("No clear winner")
