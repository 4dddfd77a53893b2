"""Flow-log ingestion and analytics: what traffic really happened.

Data flows one way::

    files ──records──▶ groups of tuples ──vectorised (native)──▶ Parquet parts ──store──▶
    the ``flows`` view ──queries (plain SQL)──▶ analyze / suggest / anomalies ──cli──▶ output

records.py     discover files (Azure storage layout, gzip), load one JSON document at a time,
               walk NSG v1/v2 and VNet records to their flow groups; the reference parser
accounting.py  seen = parsed + malformed per unit (file, record, group, tuple), reasons with
               file and JSON position; checked, never silently dropped
columns.py     the columns of the flows table and how a Parquet part stores them
native.py      the native tuple scanner (``_tuplescan.c``): tuples from their JSON text (or
               strings) to typed Arrow columns in one pass, an accelerator of the reference
vectorised.py  batches and their parser: the native engine, or Arrow + RE2 + DuckDB where
               the extension was not built; the reference parser for whatever they reject
store.py       Parquet parts + manifest (unchanged files are not read again), the views
queries.py     the SQL of every analysis (DuckDB here, Spark SQL at scale)
mapping.py     the ``addr`` table: internet/private, NIC, subnet, segment of each address
analyze.py     totals, rankings, estate mapping, intent crossings (``Analysis``)
anomalies.py   new combinations vs a baseline, internet to management ports, volume outliers
suggest.py     unused allow rules, tighter rules (NSG JSON fragment and Terraform)
segments.py    the intent protocol the analyses need (``FlowIntent``) and its adapters
generate.py    synthetic logs with their ground truth (tests, benchmarks)
cli.py         ``flows_app`` (``netwarden flows analyze|suggest``)
"""
