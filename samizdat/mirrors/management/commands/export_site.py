"""Write the whole public site as signed static files (docs/mirrors.md)."""

from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.export import ExportError, export_site


class Command(BaseCommand):
    help = "Export every public URL as files into OUTDIR, with a signed manifest."

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="folder to write (replaced atomically)")
        parser.add_argument("--incremental", action="store_true",
                            help="re-render only what changed since the previous export")
        parser.add_argument("--force", action="store_true",
                            help="replace a non-empty folder that holds no previous export")
        parser.add_argument("--jobs", type=int, default=0,
                            help="rendering processes: this one and N-1 forked workers "
                                 "(default: one per core)")
        parser.add_argument("--onion", action="store_true",
                            help="the copy for the onion service: no clearnet links of ours")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--test-client", action="store_true",
                            help="render through Django's test client, as exports did "
                                 "before (same output, slower: for benchmarks)")

    def handle(self, *args, outdir, incremental, force, jobs, onion, no_progress,
               test_client=False, **options):
        if jobs < 0:
            raise CommandError("--jobs must be 0 (one per core) or more")
        verbosity = options.get("verbosity", 1)
        try:
            summary = export_site(
                outdir, incremental=incremental, force=force, jobs=jobs, onion=onion,
                progress=False if no_progress else None, test_client=test_client,
                log=(lambda message: self.stderr.write(message)) if verbosity else None,
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:  # Ctrl-C: the workers were stopped, the folder removed
            raise CommandError("interrupted: nothing was signed and the previous export "
                               "is kept") from None
        for problem in summary.problems:
            self.stderr.write(f"warning: {problem}")
        if verbosity:
            self.stdout.write(
                f"Exported {summary.urls} URLs and {summary.assets} assets "
                f"({summary.files} files, {summary.mode}) to {outdir} in {summary.seconds:.1f}s: "
                f"{summary.rendered} rendered, {summary.written} written, "
                f"{summary.removed} removed."
            )
