"""Match predictor: pick two teams, see P(win) and what each hero and each pair adds to it."""
import streamlit as st

from genviz import ui as backend
from genviz.team import figures as team_figures
from genviz.team import predictions
from genviz.team import ui as team_backend
from genviz.team.analysis import abilities, contributions, win_probability

settings = backend.seed_sidebar()  # dataset and device are about images: not shown here
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
    # New model: two line-ups of popular heroes, dealt alternately (an ordinary, fairly even match).
    default_a, default_b = predictions.default_teams(len(names), size, result.pair_counts, abilities(result.main.model))
    st.session_state.team_a = [names[i] for i in default_a]
    st.session_state.team_b = [names[i] for i in default_b]
    st.session_state.team_predict_for = (result.dataset, len(names), size)

# A hero plays on one side only: drop team A's picks from team B before drawing the widgets. Each team gets
# the page's full width, so five hero chips show their whole names.
st.session_state.team_b = [n for n in st.session_state.get("team_b", []) if n not in st.session_state.get("team_a", [])]
team_a = st.multiselect("Team A", names, key="team_a", max_selections=size)
team_b = st.multiselect("Team B", [n for n in names if n not in team_a], key="team_b", max_selections=size)
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
calls = predictions.agreement([predictions.ModelCall(f.label, win_probability(f.model, a, b), f.metrics["test_accuracy"])
                               for f in result.fitted])
st.subheader("Each model's answer")
st.dataframe([{"model": c.label, "P(team A wins)": f"{c.p_a:.1%}", "predicted winner": f"team {c.winner}",
               "right on held-out matches": f"{c.test_accuracy:.1%}"} for c in calls.calls],
             hide_index=True, width="stretch", key="team_predict_table")
p = calls.best.p_a
st.progress(p, text=f"Most accurate model ({calls.best.label}): A {p:.0%} · B {1 - p:.0%}")
(st.warning if calls.disagree else st.success)(calls.sentence(), icon=":material/warning:" if calls.disagree
                                               else ":material/check_circle:")
support = predictions.evidence(result.pair_counts, a, b)
if support is not None:
    st.caption(support.sentence() + " A held-out accuracy near 50% means the model is little better than a coin "
               "flip on any match.")

terms = contributions(main.model, roster, a, b, result.pair_counts)
st.subheader("Where the factorised model's score difference comes from")
st.plotly_chart(team_figures.contribution_waterfall(terms), key="team_waterfall", width="stretch")
st.caption("Each bar is one term of s(A) − s(B) + b: team A's heroes and pairs push the logit up, team B's push "
           "it down; the last bar is the total, and P(A wins) = σ(total).")
with st.expander("All terms as a table"):
    st.dataframe([{"team": c.team, "term": c.what, "kind": c.kind, "contribution": round(c.value, 4),
                   "games together (training)": c.games} for c in terms], hide_index=True, width="stretch")
