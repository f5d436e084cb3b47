"""The output the command groups share: tables aligned under their header, long cells cut."""

from tiktok_pipelines.cli.common import print_table


def test_a_table_aligns_its_columns_and_cuts_long_cells(capsys):
    rows = [{"id": "1", "path": "Moda > Roupas femininas > Vestidos"}, {"id": "22", "path": None}]
    print_table(rows, ("id", "path"), width=12)
    assert capsys.readouterr().out.splitlines() == [
        "id  path        ",
        "1   Moda > Roup…",
        "22              ",
    ]
