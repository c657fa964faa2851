"""Which variant is best? A Bayesian comparison of conversion rates per view.

Each variant's rate gets a Beta(1 + conversions, 1 + views - conversions)
posterior (a flat prior). For two variants the probability that B beats A
has a closed form (Evan Miller, "Formulas for Bayesian A/B testing"); for
more, a Monte Carlo draw with a fixed seed, so a report reads the same on
every reload.
"""

import math
import random

from django.utils.translation import gettext as _

SEED = 20240701
DRAWS = 20000


def _log_beta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def prob_b_beats_a(conv_a, views_a, conv_b, views_b):
    """P(rate B > rate A), exactly."""
    a_a, b_a = 1 + conv_a, 1 + max(views_a - conv_a, 0)
    a_b, b_b = 1 + conv_b, 1 + max(views_b - conv_b, 0)
    total = 0.0
    for i in range(a_b):
        total += math.exp(
            _log_beta(a_a + i, b_b + b_a) - math.log(b_b + i)
            - _log_beta(1 + i, b_b) - _log_beta(a_a, b_a)
        )
    return min(max(total, 0.0), 1.0)


def prob_best_monte_carlo(arms, draws=DRAWS, seed=SEED):
    """[P(arm i has the highest rate)] for arms = [(conversions, views), …]."""
    rng = random.Random(seed)
    wins = [0] * len(arms)
    params = [(1 + c, 1 + max(v - c, 0)) for c, v in arms]
    for _draw in range(draws):
        samples = [rng.betavariate(a, b) for a, b in params]
        wins[samples.index(max(samples))] += 1
    return [w / draws for w in wins]


def prob_best(arms):
    """Closed form for two arms, Monte Carlo for more; [1.0] for one."""
    if not arms:
        return []
    if len(arms) == 1:
        return [1.0]
    if len(arms) == 2:
        p_b = prob_b_beats_a(arms[0][0], arms[0][1], arms[1][0], arms[1][1])
        return [1.0 - p_b, p_b]
    return prob_best_monte_carlo(arms)


MIN_VIEWS = 1000
MIN_CONVERSIONS = 10


def verdict(keys, arms, probabilities):
    """A plain-language reading for a fundraising editor."""
    if len(arms) < 2:
        return _("Only one variant is running, so there is nothing to compare.")
    views = [v for _c, v in arms]
    conversions = sum(c for c, _v in arms)
    if min(views) < MIN_VIEWS or conversions < MIN_CONVERSIONS:
        return _(
            "Too early to tell: wait until every variant has at least %(views)s views "
            "and the test has at least %(gifts)s gifts."
        ) % {"views": f"{MIN_VIEWS:,}", "gifts": MIN_CONVERSIONS}
    best = max(range(len(arms)), key=probabilities.__getitem__)
    chance = probabilities[best]
    percent = math.floor(chance * 100)
    if chance >= 0.95:
        return _(
            "Variant %(key)s is very likely the best (%(percent)s%% chance). "
            "You can end the test and keep %(key)s."
        ) % {"key": keys[best], "percent": percent}
    if chance >= 0.8:
        return _(
            "Variant %(key)s is probably the best (%(percent)s%% chance), but that is not "
            "yet certain: keep the test running."
        ) % {"key": keys[best], "percent": percent}
    return _("No clear winner yet: the variants perform about the same so far.")
