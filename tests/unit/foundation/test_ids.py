from tradelane.core.ids import new_id


def test_ids_are_prefixed_unique_and_time_ordered() -> None:
    ids = [new_id("evt") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("evt_") and len(i) == 30 for i in ids)
    # time prefix (first 10 chars = 48-bit ms) never goes backwards
    prefixes = [i[4:14] for i in ids]
    assert prefixes == sorted(prefixes)
