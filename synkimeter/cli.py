def main(argv=None) -> int:
    raise NotImplementedError
