"""Commands of Sketch-RNN: ``qd train-rnn``, ``qd generate``, ``qd reconstruct``, ``qd interpolate``."""
from __future__ import annotations

from cli.models import add_model_arguments, where


def register(sub) -> None:
    """Add the Sketch-RNN commands to the ``qd`` parser."""
    p = sub.add_parser("train-rnn", help="train a Sketch-RNN on one class or several",
                       description="Train a Sketch-RNN (Ha & Eck 2017: a VAE, or --mode decoder for the "
                       "unconditional model) on stroke sequences into a run folder, showing a progress bar with "
                       "its rate and ETA on a terminal. Every save_every steps it validates and writes a "
                       "checkpoint, losses.png (reconstruction loss Lr and KL) and samples.png; Ctrl-C saves, "
                       "--resume continues. The full-size model trains about 1 step/s on 2 CPU cores (the default "
                       "10000 steps: 2-3 hours): try --steps 2000 or smaller --hparams first, or a GPU.",
                       epilog="example: qd train-rnn homework/ --category cat --out runs/cat")
    p.add_argument("source", metavar="SOURCE", help="a dataset folder (qd build) or a sketchrnn .npz")
    p.add_argument("--out", required=True, metavar="RUNDIR", help="run folder for the model, curves and samples")
    p.add_argument("--category", nargs="+", metavar="NAME", help="classes of a dataset folder to train on (default all)")
    p.add_argument("--mode", choices=("vae", "decoder"), help="vae (default) or decoder (unconditional)")
    p.add_argument("--steps", type=int, default=10_000, help="train until this step (default 10000)")
    p.add_argument("--batch-size", type=int, metavar="B", help="sketches per step (default 100)")
    p.add_argument("--hparams", default="", metavar="K=V,...", help="override hyperparameters, e.g. dec_rnn_size=256 (default: none, Magenta's values)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in RUNDIR from its checkpoint")
    group.add_argument("--force", action="store_true", help="replace the Sketch-RNN run in RUNDIR")
    p.add_argument("--seed", type=int, help="random seed (default 0; a resumed run keeps its own)")
    p.set_defaults(func=run_train)

    p = sub.add_parser("generate", help="draw new sketches with a Sketch-RNN (yours or an official one)",
                       description="Draw new sketches from scratch, each from its own random latent code, into a "
                       "PNG grid or an ndjson file. Temperature 0.5 (the default) is Magenta's for samples: "
                       "varied but clean; lower is tidier and more alike, 1.0 wilder. (`qd complete` defaults to "
                       "0.4: a completion should stay close to what you drew.)",
                       epilog="examples: qd generate bird --n 16 --out birds.png; qd generate runs/cat")
    add_model_arguments(p)
    p.add_argument("--n", type=int, default=16, help="how many sketches (default 16)")
    p.add_argument("--temperature", type=float, default=0.5, help="sampling temperature (default 0.5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="generated.png", metavar="FILE", help="a .png grid or .ndjson drawings (default generated.png)")
    p.set_defaults(func=run_generate)

    p = sub.add_parser("reconstruct", help="encode sketches and decode them again, side by side",
                       description="Encode the first N test sketches of SOURCE with a VAE run's encoder and "
                       "decode each code again: inputs above, reconstructions below, in one PNG. From a dataset "
                       "folder only sketches of the model's classes are taken.")
    add_model_arguments(p)
    p.add_argument("source", metavar="SOURCE", help="a dataset folder or sketchrnn .npz (its test split)")
    p.add_argument("--n", type=int, default=8, help="how many sketches (default 8)")
    p.add_argument("--temperature", type=float, default=0.5, help="sampling temperature (default 0.5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="reconstruct.png", metavar="FILE.png", help="the PNG to write (default reconstruct.png)")
    p.set_defaults(func=run_reconstruct)

    p = sub.add_parser("interpolate", help="decode a path through latent space between two sketches",
                       description="Encode sketches A and B with a VAE run, decode the codes on the great circle "
                       "between them (spherical interpolation, as in the paper) and write the strip as a PNG.",
                       epilog="A and B are PATH or PATH:N: the N-th sketch (default 0) of a .npz or dataset "
                              "folder's test split, or the N-th drawing of an .ndjson file")
    add_model_arguments(p)
    p.add_argument("a", metavar="A", help="the first sketch, PATH or PATH:N")
    p.add_argument("b", metavar="B", help="the last sketch, PATH or PATH:N")
    p.add_argument("--steps", type=int, default=8, help="sketches along the path, ends included (default 8)")
    p.add_argument("--temperature", type=float, default=0.5, help="sampling temperature (default 0.5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default="interpolate.png", metavar="FILE.png", help="the PNG to write (default interpolate.png)")
    p.set_defaults(func=run_interpolate)


def run_train(args) -> int:
    """Train and print where the run went; 130 after Ctrl-C (the checkpoint is saved)."""
    from sketchrnn.train import train

    s = train(args.source, args.out, categories=args.category, mode=args.mode, steps=args.steps,
              batch_size=args.batch_size, hparams=args.hparams, resume=args.resume, force=args.force,
              seed=args.seed, log=print)
    dropped = sum(s["dropped"].values())
    if dropped:
        print(f"dropped {dropped} sketches longer than max_seq_len ({s['dropped']})")
    best = s["best"]
    if s["interrupted"]:
        print(f"interrupted at step {s['step']}; checkpoint saved in {s['out']} (continue with --resume)")
    else:
        valid = s["valid"]
        print(f"trained to step {s['step']} ({s['steps_per_s']:.2f} steps/s): valid reconstruction loss "
              f"{valid['recon']:.4f}, KL {valid['kl']:.4f}; run in {s['out']}"
              + (" (SYNTHETIC data)" if s["synthetic"] else ""))
    if best and best["step"] != s["step"]:
        print(f"best validation at step {best['step']} (reconstruction {best['valid_recon']:.4f}, "
              f"KL {best['valid_kl']:.4f}): "
              "generate, reconstruct, interpolate, complete and evaluate use those weights (best.npz)")
    return 130 if s["interrupted"] else 0


def run_generate(args) -> int:
    """Sample sketches and write them."""
    from sketchrnn.generate import generate

    print(generate(args.rundir, n=args.n, temperature=args.temperature, seed=args.seed, out=args.out,
                   **where(args)))
    return 0


def run_reconstruct(args) -> int:
    """Write inputs beside their reconstructions."""
    from sketchrnn.generate import reconstruct

    print(reconstruct(args.rundir, args.source, n=args.n, temperature=args.temperature, seed=args.seed,
                      out=args.out, **where(args)))
    return 0


def run_interpolate(args) -> int:
    """Write the interpolation strip."""
    from sketchrnn.generate import interpolate

    print(interpolate(args.rundir, args.a, args.b, steps=args.steps, temperature=args.temperature,
                      seed=args.seed, out=args.out, **where(args)))
    return 0
