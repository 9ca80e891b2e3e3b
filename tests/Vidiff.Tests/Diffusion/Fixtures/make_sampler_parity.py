"""Reference trajectories from diffusers' DDIMScheduler and DPMSolverMultistepScheduler for SamplerParityTests.

Run with Debian's torch (/usr/bin/python3) and PYTHONPATH pointing at a directory holding diffusers' two scheduler files
(src/diffusers/schedulers/scheduling_{ddim,dpmsolver_multistep}.py, diffusers 58eb52c) plus stubs for the few utility
modules they import (ConfigMixin/register_to_config, deprecate, randn_tensor, SchedulerMixin). Writes sampler_parity.json.
"""
import json

import torch
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_dpmsolver_multistep import DPMSolverMultistepScheduler

SCHEDULES = {
    "scaled-linear": dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012),
    "cosine": dict(beta_schedule="squaredcos_cap_v2"),
}
PREDICTIONS = {"Epsilon": "epsilon", "V": "v_prediction"}


def model(z, t):
    # Any smooth function of (z_t, t) will do; the C# test computes the same one.
    return 0.7 * torch.tanh(z) + 0.3 * (t / 1000.0) * z


def run(scheduler, noise, steps):
    scheduler.set_timesteps(steps)
    z = noise.clone()
    for t in scheduler.timesteps:
        z = scheduler.step(model(z, float(t)), t, z).prev_sample
    return scheduler.timesteps.tolist(), z


torch.manual_seed(0)
noise = torch.randn(2, 3)
cases = []
for schedule, kwargs in SCHEDULES.items():
    for p, prediction in PREDICTIONS.items():
        common = dict(num_train_timesteps=1000, prediction_type=prediction, timestep_spacing="trailing", **kwargs)
        for steps in (8, 10):
            samplers = {
                "ddim": DDIMScheduler(clip_sample=False, set_alpha_to_one=True, **common),
                "dpmsolver++2m": DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2, solver_type="midpoint", final_sigmas_type="zero", **common),
            }
            for name, scheduler in samplers.items():
                timesteps, z = run(scheduler, noise, steps)
                cases.append(dict(sampler=name, schedule=schedule, parameterization=p, steps=steps, timesteps=timesteps, result=z.tolist()))
with open("sampler_parity.json", "w") as f:
    json.dump(dict(noise=noise.tolist(), cases=cases), f, indent=1)
