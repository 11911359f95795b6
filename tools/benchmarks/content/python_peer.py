"""The Python peers of aampe-bench-content: the same formula and the same users rendered with chevron
(Mustache, the same templates and partials) and jinja2 (the same text in Jinja syntax, one compiled
template per variant and field). Prints a line per engine, then one JSON line for tools/bench-content.

Rendered bytes are printed so that a reader can check the outputs match aampe-bench-content's."""

import argparse
import json
import time

import chevron
import jinja2

GREETING = ["Hey {{first_name}}!", "Hello {{first_name}},"]
OFFER = ["10% off picks for you:", "Made to last:", "Ships today:"]
CLOSE = ["Ends tonight.", "See you soon."]
TITLE = "{{>greeting}}"
BODY = "{{>offer}} {{#items}}{{title}} {{price}}, {{/items}}{{>close}}"
NAMES = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ines", "Jon"]

# Variants in aamped's order: the first block most significant.
VARIANTS = [(g, o, c) for g in range(2) for o in range(3) for c in range(2)]


def user(i):
    items = []
    for slot in range(3):
        item = (i * 2_654_435_761 + slot * 40_503) % (1 << 64) % 1_000
        items.append({"title": f"Item {item}", "price": float(item % 50) + 0.99})
    return {"first_name": f"{NAMES[i % 10]}{i % 20}", "items": items}


def bench_chevron(data):
    partials = [{"greeting": GREETING[g], "offer": OFFER[o], "close": CLOSE[c]} for g, o, c in VARIANTS]
    rendered = 0
    start = time.perf_counter()
    for i, view in enumerate(data):
        p = partials[i % len(VARIANTS)]
        rendered += len(chevron.render(TITLE, view, partials_dict=p).encode())
        rendered += len(chevron.render(BODY, view, partials_dict=p).encode())
    return time.perf_counter() - start, rendered


def jinja(text):
    return text.replace("{{first_name}}", "{{ first_name }}")


def bench_jinja2(data):
    environment = jinja2.Environment(autoescape=False)
    templates = []
    for g, o, c in VARIANTS:
        title = environment.from_string(jinja(GREETING[g]))
        body = environment.from_string(
            OFFER[o] + " {% for item in items %}{{ item.title }} {{ item.price }}, {% endfor %}" + CLOSE[c]
        )
        templates.append((title, body))
    rendered = 0
    start = time.perf_counter()
    for i, view in enumerate(data):
        title, body = templates[i % len(VARIANTS)]
        rendered += len(title.render(view).encode())
        rendered += len(body.render(view).encode())
    return time.perf_counter() - start, rendered


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200_000)
    users = parser.parse_args().users
    data = [user(i) for i in range(users)]
    result = {"users": users}
    for name, bench in [("chevron", bench_chevron), ("jinja2", bench_jinja2)]:
        seconds, rendered = bench(data)
        rate = users / seconds
        print(f"{name}: {rate:,.0f} renders/s ({seconds:.2f} s, {rendered} bytes)")
        result[name] = {"renders_per_second": int(rate), "rendered_bytes": rendered}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
