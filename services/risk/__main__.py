"""`python -m services.risk train|show`: retrain the churn-risk model, print its evaluation."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import asyncpg
import orjson

from demo.plan import DemoConfig
from forecast.model.training import Plan, TrainingError, train
from forecast.store import latest_model, retrain
from services.risk.demo import demo_history
from services.settings import Settings


def report(evaluation: dict[str, object]) -> str:
    """The evaluation as the lines the command prints (and docs/risk.md records)."""
    e: dict[str, dict[str, float]] = evaluation  # type: ignore[assignment]
    k = evaluation["k"]
    lines = [
        f"held out: cut-offs from {evaluation['split_at']}; train {e['train']}, test {e['test']}",
        f"base rate (lost within the horizon) {evaluation['base_rate']:.3f}",
        f"model    AUC {e['model']['auc']:.3f}  precision@{k} {e['model']['precision_at_k']:.3f}",
        f"baseline AUC {e['baseline']['auc']:.3f}  precision@{k}"
        f" {e['baseline']['precision_at_k']:.3f}  ({evaluation['baseline_feature']} alone)",
    ]
    return "\n".join(lines)


async def _train(settings: Settings, plan: Plan, end: datetime | None) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        now = datetime.now(UTC)
        model = await retrain(conn, settings.funnel_schema, plan, end or now, now)
    except TrainingError as error:
        print(f"cannot train: {error}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"model {model.version} (horizon {model.horizon_days:g} days) stored")
    print(report(model.evaluation))
    return 0


async def _show(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        model = await latest_model(conn, settings.funnel_schema)
    finally:
        await conn.close()
    if model is None:
        print("no risk model trained yet: python -m services.risk train", file=sys.stderr)
        return 1
    print(orjson.dumps(model.to_json(), option=orjson.OPT_INDENT_2).decode())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m services.risk COMMAND`."""
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m services.risk")
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("train", help="train on the read models, store a version, evaluate it")
    defaults = Plan()
    fit.add_argument("--horizon-days", type=float, default=defaults.horizon_days)
    fit.add_argument("--step-days", type=float, default=defaults.step_days)
    fit.add_argument("--test-share", type=float, default=defaults.test_share)
    fit.add_argument("--k", type=int, default=defaults.k, help="precision at k per cut-off")
    fit.add_argument("--end", type=datetime.fromisoformat, help="history's end (default: now)")
    sub.add_parser("show", help="print the newest stored model as JSON")
    offline = sub.add_parser("evaluate-demo", help="train and evaluate on the demo, in memory")
    offline.add_argument("--leads", type=int, default=DemoConfig().leads)
    offline.add_argument("--seed", type=int, default=DemoConfig().seed)
    offline.add_argument("--now", type=datetime.fromisoformat, default=datetime.now(UTC))
    args = parser.parse_args(argv)
    if args.command == "show":
        return asyncio.run(_show(settings))
    if args.command == "evaluate-demo":
        model = train(demo_history(args.leads, args.seed, args.now), args.now, args.now)
        print(f"demo: {args.leads} leads, seed {args.seed}, as of {args.now.isoformat()}")
        print(report(model.evaluation))
        return 0
    plan = Plan(args.horizon_days, args.step_days, args.test_share, args.k)
    return asyncio.run(_train(settings, plan, args.end))


if __name__ == "__main__":
    sys.exit(main())
