"""After SN-GAN: BigGAN's truncation, conditioning and large batch, Fast-GAN's adversarial D — measured here."""
import streamlit as st

from genviz import ui
from genviz.gans import figures as gan_figures
from genviz.gans import ui as gan_ui

settings = ui.sidebar()
st.title("Later GAN ideas, measured")
st.caption("BigGAN (Brock et al. 2018), Fast-GAN (Zhong et al. 2020), each shown working at MNIST scale on "
           "this machine's CPU, with the number that tests its claim. Where a claim does not show at this "
           "scale, the page says so.")

st.header("BigGAN: truncation")
st.latex(r"z_i \sim \mathcal{N}(0, 1) \text{ resampled until } |z_i| \le \psi")
curve, name = gan_ui.biggan_truncation(settings)
if curve:
    st.plotly_chart(gan_figures.truncation_figure(curve), key="ideas_trunc", width="stretch")
    st.markdown(gan_ui.truncation_verdict(curve, name))
else:
    st.info("No BigGAN checkpoint with a truncation curve is shipped for this dataset; the GAN samples page "
            "measures one for any generator.", icon=":material/info:")

results = gan_ui.ideas_results()
if results is None:
    st.info("The experiment results are not built: `python -m genviz pretrain --only gan-ideas-mnist` "
            "(150 s per arm, 3 seeds: about 45 minutes on one core).", icon=":material/info:")
    st.stop()
st.caption(f"Recorded runs: {results['budget_seconds']:.0f} s of training per arm, {results['seeds']} seed(s), "
           f"{results['threads']} torch thread(s); {results['seconds']:.0f} s in all.")

st.header("BigGAN: class-conditional BatchNorm vs input concatenation")
st.latex(r"\mathrm{BN}_y(h) = (1 + W_g[e(y), z_\ell]) \odot \hat h + W_b[e(y), z_\ell]")
cond = gan_ui.arms(results["conditioning"])
left, right = st.columns(2)
left.plotly_chart(gan_figures.experiment_curves(cond, "frechet_distance", "Fréchet distance ↓"), key="ideas_cond_fd",
                  width="stretch")
right.plotly_chart(gan_figures.experiment_curves(cond, "label_agreement", "label agreement"), key="ideas_cond_la",
                   width="stretch")
st.markdown(gan_ui.conditioning_verdict(results["conditioning"]))

st.header("BigGAN: a large batch")
st.dataframe(gan_ui.batch_table(results["batch"]), key="ideas_batch", hide_index=True, width="stretch")
st.markdown(gan_ui.batch_verdict(results["batch"]))

st.header("Fast-GAN: adversarial training of the discriminator")
st.latex(r"\delta \leftarrow \mathrm{clip}_{\pm\varepsilon}\big(\delta + \tau\,\mathrm{sign}\,\nabla_x L_D(x + \delta)\big)")
fast = gan_ui.arms(results["fastgan"])
st.plotly_chart(gan_figures.experiment_curves(fast, "frechet_distance", "Fréchet distance ↓"), key="ideas_fast_fd",
                width="stretch")
st.dataframe(gan_ui.fastgan_table(results["fastgan"]), key="ideas_fast_table", hide_index=True, width="stretch")
st.markdown(gan_ui.fastgan_verdict(results["fastgan"]))
