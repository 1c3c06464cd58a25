run --dump
