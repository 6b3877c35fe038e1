"""A Markdown table on stdout, the form the scripts' reports take for the README."""


def print_table(columns, rows):
    """columns: the header cells; rows: one sequence of already formatted cells per row."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")
