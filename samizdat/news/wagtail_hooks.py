"""The newsroom's staff groups described where staff manage groups (samizdat/users/groups.py)."""

from wagtail import hooks

from .roles import DESCRIPTIONS


@hooks.register("samizdat_group_descriptions")
def newsroom_group_descriptions():
    return DESCRIPTIONS
