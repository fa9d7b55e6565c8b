import pytest

import crimestats as cs


def test_every_bundled_dataset_exists():
    for name in cs.datasets.DATASETS:
        assert cs.datasets.path(name).is_file()
    assert set(cs.datasets.describe()) == set(cs.datasets.DATASETS)


def test_an_unknown_dataset_names_the_bundled_ones():
    with pytest.raises(cs.UnknownDatasetError) as error:
        cs.datasets.path("nope")
    assert isinstance(error.value, cs.CrimestatsError) and isinstance(error.value, KeyError)
    message = str(error.value)
    assert message.startswith("no bundled dataset 'nope'; bundled datasets: ")
    assert all(name in message for name in cs.datasets.DATASETS)
