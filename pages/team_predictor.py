"""Match predictor: pick two teams, see P(win) and what each hero and each pair adds to it."""
import streamlit as st

from genviz import ui as backend
from genviz.team import figures as team_figures
from genviz.team import ui as team_backend
from genviz.team.analysis import contributions, win_probability

settings = backend.sidebar()
st.title("Match predictor")
st.latex(r"P(A \text{ beats } B) = \sigma\Big(\underbrace{\textstyle\sum_{i\in A} w_i + \sum_{i<j\in A} v_i^\top v_j}_{s(A)}"
         r" - s(B) + b\Big)")

result = team_backend.pick_result("team_predict_model")
if result is None:
    st.info("No team model yet: train one on the **Team ability** page (or save one there), then come back.")
    st.stop()

roster = result.roster
size = result.team_size
names = list(roster.names)
if st.session_state.get("team_predict_for") != (result.dataset, len(names), size):
    # New model: start from two different default line-ups.
    st.session_state.team_a = names[:size]
    st.session_state.team_b = names[size: 2 * size]
    st.session_state.team_predict_for = (result.dataset, len(names), size)

# A hero plays on one side only: drop team A's picks from team B before drawing the widgets.
st.session_state.team_b = [n for n in st.session_state.get("team_b", []) if n not in st.session_state.get("team_a", [])]
left, right = st.columns(2)
team_a = left.multiselect("Team A", names, key="team_a", max_selections=size)
team_b = right.multiselect("Team B", [n for n in names if n not in team_a], key="team_b", max_selections=size)
if not team_a or not team_b:
    st.info(f"Pick up to {size} heroes for each team.")
    st.stop()
if len(team_a) != len(team_b) or len(team_a) < size:
    st.caption(f"The model was trained on teams of {size}; smaller or uneven teams are still scored, "
               "but the probabilities mean less.")

index = {n: k for k, n in enumerate(names)}
a = [index[n] for n in team_a]
b = [index[n] for n in team_b]
main = result.main
p = win_probability(main.model, a, b)
st.metric("P(team A wins) — factorised model", f"{p:.1%}")
st.progress(p, text=f"A {p:.0%} · B {1 - p:.0%}")
others = [f"{f.label}: {win_probability(f.model, a, b):.1%}" for f in result.fitted if f is not main]
if others:
    st.caption("Baselines on the same teams — " + ", ".join(others) + ". Held-out accuracy: "
               + ", ".join(f"{f.label} {f.metrics['test_accuracy']:.1%}" for f in result.fitted) + ".")

terms = contributions(main.model, roster, a, b, result.pair_counts)
st.subheader("Where the score difference comes from")
st.plotly_chart(team_figures.contribution_waterfall(terms), key="team_waterfall", width="stretch")
st.caption("Each bar is one term of s(A) − s(B) + b: team A's heroes and pairs push the logit up, team B's push "
           "it down; the last bar is the total, and P(A wins) = σ(total).")
with st.expander("All terms as a table"):
    st.dataframe([{"team": c.team, "term": c.what, "kind": c.kind, "contribution": round(c.value, 4),
                   "games together (training)": c.games} for c in terms], hide_index=True, width="stretch")
