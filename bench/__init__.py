"""The benchmark of the real stack: `make bench`, or `python -m bench --help`.

It starts the Rasa server, the action server and a fresh database on localhost, exactly as `make run` does
(through `prevent_assistant.serve.running_stack`), drives them over HTTP, and writes every figure beside its
comparison to `bench/results/`. It is a script, not a test: nothing here asserts a timing, because timings
depend on the machine and on what else runs on it; the report records both.
"""
