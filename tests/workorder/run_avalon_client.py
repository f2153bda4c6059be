#!/usr/bin/python3
"""Runs Hyperledger Avalon's generic_client.py, unmodified, from a checkout
(issue 19; tests/e2e/test-workorder-avalon):

    run_avalon_client.py AVALON_DIR ARGS...   (ARGS as generic_client.py takes them)

Avalon's client imports, at module level, parts it never uses in the direct
mode ccfaas serves (--uri): the Ethereum and Fabric connectors (web3,
py-solc-x, fabric-sdk-py: not in Debian) and two SWIG extensions built from
Avalon's C++ for SGX IAS/DCAP report checks (called only for a non-empty
proofData, which ccfaas gives Avalon's clients empty). Those imports, and only
those, and only when the real module is missing, get a placeholder module
whose every use raises; everything else is Avalon's own code with Debian's
python3-pycryptodome (Cryptodome), python3-ecdsa, python3-toml and
python3-jsonschema.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types

OPTIONAL_ROOTS = ("web3", "solcx", "hfc", "grpc", "nest_asyncio")
OPTIONAL_EXACT = ("verify_report.ias_verify_report", "verify_dcap_quote.dcap_verify_report")


class _Unavailable:
    def __init__(self, name):
        self._name = name

    def __call__(self, *a, **k):
        raise RuntimeError(self._name + " is not available (not used in direct mode)")

    def __getattr__(self, attr):
        return _Unavailable(self._name + "." + attr)

    def __mro_entries__(self, bases):
        return (object,)


class _Placeholder(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Unavailable(self.__name__ + "." + attr)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if not (name.split(".")[0] in OPTIONAL_ROOTS or name in OPTIONAL_EXACT):
            return None
        for finder in sys.meta_path:  # the real module wins when it is installed
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            try:
                if finder.find_spec(name, path, target) is not None:
                    return None
            except (ImportError, ValueError):
                pass
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        m = _Placeholder(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def main():
    avalon = os.path.abspath(sys.argv[1])
    client_dir = os.path.join(avalon, "examples", "apps", "generic_client")
    os.environ.setdefault("TCF_HOME", avalon)
    for d in ("common/python", "common/crypto_utils", "sdk", "common/verify_report_utils/ias",
              "common/verify_report_utils/dcap", "examples/apps/generic_client"):
        sys.path.insert(0, os.path.join(avalon, d))
    sys.meta_path.append(_Finder())
    os.chdir(client_dir)
    sys.argv = [os.path.join(client_dir, "generic_client.py")] + sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
