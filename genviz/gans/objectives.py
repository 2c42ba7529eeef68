"""GAN objectives as data: one table of (D loss, G loss, score, collapse rule, Adam betas).

Every GAN in genviz — the image GANs, `python -m genviz evaluate` and the 2-D GAN concept page —
reads its losses from `OBJECTIVES`; a new objective is one more row, not a branch in a trainer.

D outputs a raw score s (a logit for the BCE objectives, D(x) = σ(s)); every log is written
through softplus for stability: log σ(s) = −softplus(−s), log(1 − σ(s)) = −softplus(s).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from genviz.core.errors import ConfigError

COLLAPSE_LIMIT = 1e-3  # D(G(z)) (BCE) or D loss (hinge, least squares) below this counts as "D has won"


# --- the loss functions -----------------------------------------------------------------------------
def gan_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """L_D = E_x[−log D(x)] + E_z[−log(1 − D(G(z)))] (Goodfellow et al. 2014), batch means."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """L_G = E_z[log(1 − D(G(z)))]: the minimax objective. Its gradient with respect to the logit is
    −D(G(z)), so it vanishes when D rejects fakes (D(G(z)) → 0)."""
    return -F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """L_G = E_z[−log D(G(z))]: same fixed point; its gradient −(1 − D(G(z))) is largest when D wins."""
    return F.softplus(-fake_logits).mean()


def gan_generator_loss(fake_logits: Tensor, kind: str = "non-saturating") -> Tensor:
    """The generator's BCE loss by name ("saturating" | "non-saturating"), as the lecture names them."""
    return objective(f"bce-{kind}").g_loss(fake_logits)


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """L_C = E_z[C(G(z))] − E_x[C(x)] (Arjovsky et al. 2017): the critic maximises the score gap."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """L_G = −E_z[C(G(z))]; also the hinge objective's generator loss."""
    return -fake_scores.mean()


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """L_D = E_x[max(0, 1 − D(x))] + E_z[max(0, 1 + D(G(z)))] (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


hinge_generator_loss = wasserstein_generator_loss


def least_squares_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """L_D = ½E[(D(x) − 1)²] + ½E[D(G(z))²] (Mao et al. 2017, LSGAN with a = 0, b = c = 1)."""
    return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores ** 2).mean()


def least_squares_generator_loss(fake_scores: Tensor) -> Tensor:
    """L_G = ½E[(D(G(z)) − 1)²]."""
    return 0.5 * ((fake_scores - 1) ** 2).mean()


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, weight: float = 10.0,
                     generator: torch.Generator | None = None, mix: Tensor | None = None) -> Tensor:
    """λ E_x̂[(‖∇_x̂ C(x̂)‖₂ − 1)²], x̂ = ε x + (1 − ε) x̃, ε ~ U[0, 1] per example (Gulrajani et al. 2017).

    Pulls the critic towards 1-Lipschitz on the lines between real and fake points. `mix` fixes ε
    (shape (B,)) for tests; otherwise it is drawn from `generator`.
    """
    if mix is None:
        dev = generator.device if generator is not None else real.device
        mix = torch.rand(len(real), generator=generator, device=dev).to(real.device)
    eps = mix.view(-1, *([1] * (real.dim() - 1))).to(real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grads,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return weight * ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_scores: Tensor, real: Tensor, gamma: float) -> Tensor:
    """γ/2 E_x[‖∇_x D(x)‖²] on real images (Mescheder et al. 2018), the regulariser StyleGAN trains D with
    instead of spectral norm: D's surface is kept flat where the data lie, so G is not pushed off them.
    `real` must require grad and `real_scores` be D's scores of it."""
    (grads,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return 0.5 * gamma * grads.flatten(1).square().sum(1).mean()


def auxiliary_class_loss(class_logits: Tensor, labels: Tensor) -> Tensor:
    """AC-GAN's class term: cross-entropy −E[log P(C = y | x)] on real and generated images (Odena et al. 2017)."""
    return F.cross_entropy(class_logits, labels)


# --- the table --------------------------------------------------------------------------------------
def _identity(scores: Tensor) -> Tensor:
    return scores


def _sigmoid(scores: Tensor) -> Tensor:
    return scores.sigmoid()


@dataclass(frozen=True)
class Objective:
    """One GAN objective: how D and G are scored, and the settings its paper trained it with."""

    name: str
    title: str
    d_loss: Callable[[Tensor, Tensor], Tensor]  # (D's raw scores of real, of fake) -> scalar
    g_loss: Callable[[Tensor], Tensor]  # D's raw scores of fakes -> scalar
    score: Callable[[Tensor], Tensor]  # what metrics call D(·): σ(s) for BCE, s itself otherwise
    betas: tuple[float, float]  # Adam betas of its paper
    gradient_penalty: bool = False  # add λ·GP to the critic's loss (WGAN-GP)
    # "d_fake": D won when mean D(G(z)) < COLLAPSE_LIMIT; "d_loss": when D's loss < COLLAPSE_LIMIT;
    # "": an unbounded critic has no such point.
    collapse_on: str = ""
    collapse_text: str = ""  # what "D has won" means, for the error message
    formula: str = ""  # LaTeX of L_D and L_G for pages

    @property
    def probability(self) -> bool:
        """True when `score` is a probability D(x) ∈ (0, 1)."""
        return self.score is _sigmoid

    def collapsed(self, d_loss: float, d_fake: float) -> bool:
        """True when this step's numbers say D rejects every fake outright."""
        if self.collapse_on == "d_fake":
            return d_fake < COLLAPSE_LIMIT
        if self.collapse_on == "d_loss":
            return d_loss < COLLAPSE_LIMIT
        return False


_BCE_FORMULA = r"L_D = \mathbb{E}_x[-\log D(x)] + \mathbb{E}_z[-\log(1 - D(G(z)))]"
OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("bce-non-saturating", "BCE, non-saturating G", gan_discriminator_loss,
              non_saturating_generator_loss, _sigmoid, (0.5, 0.999), collapse_on="d_fake",
              collapse_text="D(G(z)) stayed below 0.001",
              formula=_BCE_FORMULA + r",\quad L_G = \mathbb{E}_z[-\log D(G(z))]"),
    Objective("bce-saturating", "BCE, saturating G (minimax)", gan_discriminator_loss,
              saturating_generator_loss, _sigmoid, (0.5, 0.999), collapse_on="d_fake",
              collapse_text="D(G(z)) stayed below 0.001",
              formula=_BCE_FORMULA + r",\quad L_G = \mathbb{E}_z[\log(1 - D(G(z)))]"),
    Objective("wgan-gp", "Wasserstein + gradient penalty", wasserstein_critic_loss,
              wasserstein_generator_loss, _identity, (0.0, 0.9), gradient_penalty=True,
              formula=r"L_C = \mathbb{E}_z[C(G(z))] - \mathbb{E}_x[C(x)] + \lambda\,\mathbb{E}_{\hat x}"
                      r"[(\lVert\nabla C(\hat x)\rVert - 1)^2],\quad L_G = -\mathbb{E}_z[C(G(z))]"),
    Objective("hinge", "Hinge", hinge_discriminator_loss, hinge_generator_loss, _identity, (0.5, 0.999),
              collapse_on="d_loss", collapse_text="the discriminator's hinge loss stayed at 0",
              formula=r"L_D = \mathbb{E}_x[\max(0, 1 - D(x))] + \mathbb{E}_z[\max(0, 1 + D(G(z)))],"
                      r"\quad L_G = -\mathbb{E}_z[D(G(z))]"),
    Objective("lsgan", "Least squares", least_squares_discriminator_loss, least_squares_generator_loss,
              _identity, (0.5, 0.999), collapse_on="d_loss",
              collapse_text="the discriminator's least-squares loss stayed at 0",
              formula=r"L_D = \tfrac12\mathbb{E}_x[(D(x) - 1)^2] + \tfrac12\mathbb{E}_z[D(G(z))^2],"
                      r"\quad L_G = \tfrac12\mathbb{E}_z[(D(G(z)) - 1)^2]"),
)}


def objective(name: str) -> Objective:
    """The table row for `name`, or a ConfigError naming the known objectives."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ConfigError(f"Unknown GAN objective '{name}'; known: {', '.join(OBJECTIVES)}.") from None
