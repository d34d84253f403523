"""The player shows choices and ruling options in the run's own order, frozen with the run."""

import re

from tests.web.test_scenarios import BASE, client_for, officer, play, start_run  # noqa: F401

CHOICE = re.compile(r'name="choice" value="([a-z0-9-]+)"')
OPTION = re.compile(r'name="f-risk" value="([a-z0-9-]+)"')


def shown(client, url, pattern=CHOICE) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return pattern.findall(response.text)


def test_two_runs_show_different_orders_and_a_reload_the_same(app, officer):  # noqa: F811
    client = client_for(app, officer)
    first, second = start_run(client), start_run(client)
    for url in (first, second):
        play(client, url, [{}])  # from the scene to the decision
    order = shown(client, first)
    assert sorted(order) == ["leave", "separate"]
    assert shown(client, second) == order[::-1]  # a new run, a new order
    assert shown(client, first) == order  # a reload: the same
    assert shown(client_for(app, officer), first) == order  # another browser: the same


def test_a_scale_keeps_its_written_order_in_every_run(app, officer):  # noqa: F811
    """The example's risk field says `shuffle: false`: high, then low, in every run."""
    client = client_for(app, officer)
    orders = []
    for _ in range(4):
        url = start_run(client)
        play(client, url, [{}, {"choice": "separate"}, {"choice": "document"}])
        orders.append(shown(client, url, OPTION))
        assert shown(client, url, OPTION) == orders[-1]
        play(client, url, [{"f-risk": "high", "f-visits": "2"}], first_step=3)
        assert "Help given" in client.get(url, follow_redirects=True).text
    assert orders == [["high", "low"]] * 4
