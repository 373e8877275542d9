// Good models: the model text of every example in brian2modelfitting's
// examples/ and docs_sphinx/ (the models given to its fitters and
// inferencers), and models from Brian2's examples and documentation, each with
// the namespace, inputs and options the example uses.
#include <cstdlib>

#include "model/testdata/models.h"

namespace cellfit::model::testdata {
namespace {

// brian2modelfitting: examples/hh_nevergrad_*.py, hh_sbi*.py,
// multiobjective.py, 0hh_*.py, docs_sphinx/examples/hh_multirun.rst.
constexpr char kHodgkinHuxleyFit[] = R"(
dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/
    (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/
    (exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/
    (exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
g_na : siemens (constant)
g_kd : siemens (constant)
gl   : siemens (constant)
Cm   : farad (constant)
)";

// The same, indented as in hh_sbi_simple_interface.py (with a blank line).
constexpr char kHodgkinHuxleyIndented[] = R"(
    dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
    dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/
            (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/
            (exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
    dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/
            (exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
    dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1

    g_na : siemens (constant)
    g_kd : siemens (constant)
    gl   : siemens (constant)
    Cm   : farad (constant)
)";

// docs_sphinx/introduction/tutorial_hh.rst, examples/hh_fit_traces.py:
// Cm is a constant of the namespace.
constexpr char kHodgkinHuxleyTutorial[] = R"(
dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/
  (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/
  (exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/
  (exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
g_na : siemens (constant)
g_kd : siemens (constant)
gl   : siemens (constant)
)";

// examples/IF_brette_multi.py (the fitted model).
constexpr char kAdExBretteFit[] = R"(
dvm/dt = (gL*(EL - vm) + gL*DeltaT*exp((vm - VT)/DeltaT) + I - w)/C : volt
dw/dt = (a*(vm - EL) - w)/tauw : amp
tauw : second (constant)
a : siemens (constant)
b : amp (constant)
Vr : volt (constant)
)";

// examples/IF_fit_spikes.py, IF_spikefitter*.py, docs base.rst.
constexpr char kExpIFSpikes[] = R"(
    dv/dt = (gL*(EL-v)+gL*DeltaT*exp((v-VT)/DeltaT) + I)/C : volt
    gL: siemens (constant)
    C: farad (constant)
    )";

// examples/if_nevergrad_runtime.py.
constexpr char kExpIFTraces[] = R"(
    dv/dt = (gL*(EL-v)+gL*DeltaT*exp((v-VT)/DeltaT) + I)/C : volt
    gL: siemens (constant)
    EL:  volt (constant)
    VT: volt (constant)
    )";

// examples/IF_sbi.py (the inferred model).
constexpr char kExpIFSbi[] = R"(
    dv/dt = (gl*(El - v) + gl*DeltaT*exp((v - VT) / DeltaT) + I_syn) / C : volt
    gl    : siemens (constant)
    C     : farad (constant)
    )";

// examples/modelfitting_nevergrad.py, modelfitting_skopt.py,
// modelfitting_customOptimizer.py: no differential equation at all.
constexpr char kOhmic[] = R"(
    I = g*(v-E) : amp
    g : siemens (constant)
    E : volt (constant)
    )";

// examples/hh_sbi_synthetic_traces.py, hh_sim_sbi.py (the inferred model).
constexpr char kHodgkinHuxleySynthetic[] = R"(
    dVm/dt = -(gNa*m**3*h*(Vm - ENa) + gK*n**4*(Vm - EK) + gleak*(Vm - Eleak) - I_inj) / C : volt
    dm/dt = alpham*(1-m) - betam*m : 1
    dn/dt = alphan*(1-n) - betan*n : 1
    dh/dt = alphah*(1-h) - betah*h : 1
    alpham = (-0.32/mV) * (Vm - VT - 13.*mV) / (exp((-(Vm - VT - 13.*mV)) / (4.*mV)) - 1)/ms : Hz
    betam = (0.28/mV) * (Vm - VT - 40.*mV) / (exp((Vm - VT - 40.*mV) / (5.*mV)) - 1)/ms : Hz
    alphah = 0.128 * exp(-(Vm - VT - 17.*mV) / (18.*mV))/ms : Hz
    betah = 4/(1 + exp((-(Vm - VT - 40.*mV)) / (5.*mV)))/ms : Hz
    alphan = (-0.032/mV) * (Vm - VT - 15.*mV) / (exp((-(Vm - VT - 15.*mV)) / (5.*mV)) - 1)/ms : Hz
    betan = 0.5*exp(-(Vm - VT - 10.*mV) / (40.*mV))/ms : Hz

    # parameters to fit
    gNa : siemens (constant)
    gK : siemens (constant)
    )";

// docs_sphinx/introduction/tutorial_sbi.rst: subexpressions continued on the
// next line with a leading '/', comments, blank lines.
constexpr char kHodgkinHuxleyTutorialSbi2[] = R"(
        # non-linear set of ordinary differential equations
        dv/dt = - (g_Na * m ** 3 * h * (v - E_Na)
                   + g_K * n ** 4 * (v - E_K)
                   + g_l * (v - E_l) - I) / Cm : volt
        dm/dt = alpha_m * (1 - m) - beta_m * m : 1
        dn/dt = alpha_n * (1 - n) - beta_n * n : 1
        dh/dt = alpha_h * (1 - h) - beta_h * h : 1
        
        # time independent rate constants for a channel activation/inactivation
        alpha_m = ((-0.32 / mV) * (v - VT - 13.*mV))
                   / (exp((-(v - VT - 13.*mV)) / (4.*mV)) - 1) / ms : Hz
        beta_m = ((0.28/mV) * (v - VT - 40.*mV))
                  / (exp((v - VT - 40.*mV) / (5.*mV)) - 1) / ms : Hz
        alpha_h = 0.128 * exp(-(v - VT - 17.*mV) / (18.*mV)) / ms : Hz
        beta_h = 4 / (1 + exp((-(v - VT - 40.*mV)) / (5.*mV))) / ms : Hz
        alpha_n = ((-0.032/mV) * (v - VT - 15.*mV))
                   / (exp((-(v - VT - 15.*mV)) / (5.*mV)) - 1) / ms : Hz
        beta_n = 0.5 * exp(-(v - VT - 10.*mV) / (40.*mV)) / ms : Hz
            
        # free parameters
        g_Na : siemens (constant)
        g_K : siemens (constant)
        )";

constexpr char kHodgkinHuxleyTutorialSbi4[] = R"(
        # non-linear set of ordinary differential equations
        dv/dt = - (g_Na * m ** 3 * h * (v - E_Na)
                   + g_K * n ** 4 * (v - E_K)
                   + g_l * (v - E_l) - I) / Cm : volt
        dm/dt = alpha_m * (1 - m) - beta_m * m : 1
        dn/dt = alpha_n * (1 - n) - beta_n * n : 1
        dh/dt = alpha_h * (1 - h) - beta_h * h : 1
        
        # time independent rate constants for activation and inactivation
        alpha_m = ((-0.32 / mV) * (v - VT - 13.*mV))
                   / (exp((-(v - VT - 13.*mV)) / (4.*mV)) - 1) / ms : Hz
        beta_m = ((0.28/mV) * (v - VT - 40.*mV))
                  / (exp((v - VT - 40.*mV) / (5.*mV)) - 1) / ms : Hz
        alpha_h = 0.128 * exp(-(v - VT - 17.*mV) / (18.*mV)) / ms : Hz
        beta_h = 4 / (1 + exp((-(v - VT - 40.*mV)) / (5.*mV))) / ms : Hz
        alpha_n = ((-0.032/mV) * (v - VT - 15.*mV))
                   / (exp((-(v - VT - 15.*mV)) / (5.*mV)) - 1) / ms : Hz
        beta_n = 0.5 * exp(-(v - VT - 10.*mV) / (40.*mV)) / ms : Hz
            
        # free parameters
        g_Na : siemens (constant)
        g_K : siemens (constant)
        g_l : siemens (constant)
        Cm : farad (constant)
        )";

// examples/basinhopping.py (one fitted parameter; the second line indented
// as in the Python source).
constexpr char kLifBasinhopping[] =
    "dv/dt = (g_L*(E_L - v) + I)/C : volt (unless refractory)\n"
    "         C : farad (constant)";

// The refine example with three fitted parameters.
constexpr char kLifRefine[] =
    "dv/dt = (g_L*(E_L - v) + I)/C : volt (unless refractory)\n"
    "         C : farad (constant)\n"
    "         g_L : siemens (constant)\n"
    "         E_L : volt (constant)";

// examples/gradient_test.py.
constexpr char kGradientTest[] = R"(
dx1/dt = (x1 - p1**2 - p2*I)/ms : 1
dx2/dt = (x1 + (p1*p2)**0.5)/ms : 1
p1 : 1 (constant)
p2 : 1 (constant)
)";

// Brian2 examples/COBAHH.py: conductance-based synapses as currents.
constexpr char kCobaHH[] = R"(
dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
         g_na*(m*m*m)*h*(v-ENa)-
         g_kd*(n*n*n*n)*(v-EK))/Cm : volt
dm/dt = alpha_m*(1-m)-beta_m*m : 1
dn/dt = alpha_n*(1-n)-beta_n*n : 1
dh/dt = alpha_h*(1-h)-beta_h*h : 1
dge/dt = -ge*(1./taue) : siemens
dgi/dt = -gi*(1./taui) : siemens
alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/
         (exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/
        (exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/
         (exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
)";

// Brian2 examples/CUBA.py: current-based synapses.
constexpr char kCuba[] = R"(
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
)";

// Brian2 examples/IF_curve_LIF.py.
constexpr char kLif[] = R"(
dv/dt = (v0 - v) / tau : volt (unless refractory)
v0 : volt
)";

// Brian2 examples/frompapers/Touboul_Brette_2008.py (AdEx).
constexpr char kAdEx[] = R"(
dvm/dt=(gL*(EL-vm)+gL*DeltaT*exp((vm-VT)/DeltaT)+I-w)/C : volt
dw/dt=(a*(vm-EL)-w)/tauw : amp
Vr:volt
)";

// Brian2 examples/frompapers/Izhikevich_2003.py.
constexpr char kIzhikevich[] =
    R"(dv/dt = (0.04*v**2 + 5*v + 140 - u + I + I_noise )/ms : 1
         du/dt = (a*(b*v - u))/ms  : 1
         I : 1
         I_noise : 1
         a : 1
         b : 1
         c : 1
         d : 1
       )";

// Brian2 examples/frompapers/Brunel_Hakim_1999.py: stochastic LIF.
constexpr char kStochasticLif[] = R"(
dV/dt = (-V+muext + sigmaext * sqrt(tau) * xi)/tau : volt
)";

// Brian2's documentation (user/models.rst): noise in a LIF.
constexpr char kStochasticLifDocs[] = R"(
dv/dt = -v/tau + sigma*xi*tau**-0.5 : volt
)";

// Brian2 examples/frompapers/Morris_Lecar_1981.py.
constexpr char kMorrisLecar[] = R"(
dV/dt = (-g_L*(V - V_L) - g_Ca*m_inf*(V - V_Ca) - g_K*n*(V - V_K) + I)/C : volt
dn/dt = lambda_n*(n_inf - n) : 1
m_inf = 0.5*(1 + tanh((V - V_1)/V_2)) : 1
n_inf = 0.5*(1 + tanh((V - V_3)/V_4)) : 1
lambda_n = lambda_n__max*cosh((V - V_3)/(2*V_4)) : Hz
I : amp
)";

// Brian2 examples/frompapers/Wang_Buszaki_1996.py.
constexpr char kWangBuzsaki[] = R"(
dv/dt = (-gNa*m**3*h*(v-ENa)-gK*n**4*(v-EK)-gL*(v-EL)+Iapp)/Cm : volt
m = alpha_m/(alpha_m+beta_m) : 1
alpha_m = -0.1/mV*(v+35*mV)/(exp(-0.1/mV*(v+35*mV))-1)/ms : Hz
beta_m = 4*exp(-(v+60*mV)/(18*mV))/ms : Hz
dh/dt = 5*(alpha_h*(1-h)-beta_h*h) : 1
alpha_h = 0.07*exp(-(v+58*mV)/(20*mV))/ms : Hz
beta_h = 1./(exp(-0.1/mV*(v+28*mV))+1)/ms : Hz
dn/dt = 5*(alpha_n*(1-n)-beta_n*n) : 1
alpha_n = -0.01/mV*(v+34*mV)/(exp(-0.1/mV*(v+34*mV))-1)/ms : Hz
beta_n = 0.125*exp(-(v+44*mV)/(80*mV))/ms : Hz
)";

// Brian2 examples/frompapers/Hindmarsh_Rose_1984.py.
constexpr char kHindmarshRose[] = R"(
dx/dt = (y - a*x**3 + b*x**2 + I - z)/time_unit : 1
dy/dt = (c - d*x**2 - y)/time_unit : 1
dz/dt = r*(s*(x - x_1) - z)/time_unit : 1
I : 1 (constant)
)";

// FitzHugh-Nagumo in Brian2's syntax.
constexpr char kFitzHughNagumo[] = R"(
dv/dt = (v - v**3/3 - w + I)/tau : 1
dw/dt = (v + a - b*w)/tau_w : 1
I : 1 (constant)
)";

// Brian2 examples/frompapers/Platkiewicz_Brette_2011.py: adaptive threshold,
// Ornstein-Uhlenbeck input, a comment after an equation.
constexpr char kPlatkiewiczBrette[] = R"(
dv/dt=(EL-v+mu+sigma*I)/tau : volt
dtheta/dt=(vT+a*clip(v-Vi, 0*mV, inf*mV)-theta)/tauh : volt
dI/dt=-I/tauI+(2/tauI)**.5*xi : 1 # Ornstein-Uhlenbeck
)";

// Brian2 examples/adaptive_threshold.py.
constexpr char kAdaptiveThreshold[] = R"(
dv/dt = -v/(10*ms) : volt
dvt/dt = (10*mV-vt)/(15*ms) : volt
)";

// Brian2 examples/advanced/stochastic_odes.py: geometric Brownian motion
// (multiplicative noise).
constexpr char kGeometricBrownian[] =
    "dX/dt = (mu - 0.5*second*sigma**2)*X + X*sigma*xi*second**.5: 1";

// Brian2's documentation (user/equations.rst): a time-dependent
// subexpression.
constexpr char kSineDriven[] = R"(
dv/dt = (-v + I)/tau : volt
I = sin(2*pi*freq*t) * mV : volt
freq : Hz (constant)
)";

// Brian2 examples/frompapers/Rothman_Manis_2003.py (type 1c), the channel
// equations appended as in the example.
constexpr char kRothmanManis[] = R"(
dv/dt = (ileak + ina + ikht + iklt + ika + ih + ihcno + I)/C : volt
vu = v/mV : 1  # unitless v
I : amp

ileak = gl*(El-v) : amp

ika = gkabar*a**4*b*c*(EK-v): amp
da/dt=q10*(ainf-a)/atau : 1
db/dt=q10*(binf-b)/btau : 1
dc/dt=q10*(cinf-c)/ctau : 1
ainf = (1. / (1 + exp(-(vu + 31) / 6.)))**0.25 : 1
binf = 1. / (1 + exp((vu + 66) / 7.))**0.5 : 1
cinf = 1. / (1 + exp((vu + 66) / 7.))**0.5 : 1
atau =  ((100. / (7*exp((vu+60) / 14.) + 29*exp(-(vu+60) / 24.))) + 0.1)*ms : second
btau =  ((1000. / (14*exp((vu+60) / 27.) + 29*exp(-(vu+60) / 24.))) + 1)*ms : second
ctau = ((90. / (1 + exp((-66-vu) / 17.))) + 10)*ms : second

ina = gnabar*m**3*h*(ENa-v) : amp
dm/dt=q10*(minf-m)/mtau : 1
dh/dt=q10*(hinf-h)/htau : 1
minf = 1./(1+exp(-(vu + 38.) / 7.)) : 1
hinf = 1./(1+exp((vu + 65.) / 6.)) : 1
mtau =  ((10. / (5*exp((vu+60.) / 18.) + 36.*exp(-(vu+60.) / 25.))) + 0.04)*ms : second
htau =  ((100. / (7*exp((vu+60.) / 11.) + 10.*exp(-(vu+60.) / 25.))) + 0.6)*ms : second

ih = ghbar*r*(Eh-v) : amp
dr/dt=q10*(rinf-r)/rtau : 1
rinf = 1. / (1+exp((vu + 76.) / 7.)) : 1
rtau = ((100000. / (237.*exp((vu+60.) / 12.) + 17.*exp(-(vu+60.) / 14.))) + 25.)*ms : second

iklt = gkltbar*w**4*z*(EK-v) : amp
dw/dt=q10*(winf-w)/wtau : 1
dz/dt=q10*(zinf-z)/ztau : 1
winf = (1. / (1 + exp(-(vu + 48.) / 6.)))**0.25 : 1
zinf = zss + ((1.-zss) / (1 + exp((vu + 71.) / 10.))) : 1
wtau = ((100. / (6.*exp((vu+60.) / 6.) + 16.*exp(-(vu+60.) / 45.))) + 1.5)*ms : second
ztau = ((1000. / (exp((vu+60.) / 20.) + exp(-(vu+60.) / 8.))) + 50)*ms : second

ikht = gkhtbar*(nf*n**2 + (1-nf)*p)*(EK-v) : amp
dn/dt=q10*(ninf-n)/ntau : 1
dp/dt=q10*(pinf-p)/ptau : 1
ninf =   (1 + exp(-(vu + 15) / 5.))**-0.5 : 1
pinf =  1. / (1 + exp(-(vu + 23) / 6.)) : 1
ntau =  ((100. / (11*exp((vu+60) / 24.) + 21*exp(-(vu+60) / 23.))) + 0.7)*ms : second
ptau = ((100. / (4*exp((vu+60) / 32.) + 5*exp(-(vu+60) / 22.))) + 5)*ms : second

ihcno = gbarno*(h1*frac + h2*(1-frac))*(Eh-v) : amp
dh1/dt=(hinfno-h1)/tau1 : 1
dh2/dt=(hinfno-h2)/tau2 : 1
hinfno = 1./(1+exp((vu+66.)/7.)) : 1
tau1 = bet1/(qt*0.008*(1+alp1))*ms : second
tau2 = bet2/(qt*0.0029*(1+alp2))*ms : second
alp1 = exp(1e-3*3*(vu+50)*9.648e4/(8.315*(273.16+temp))) : 1
bet1 = exp(1e-3*3*0.3*(vu+50)*9.648e4/(8.315*(273.16+temp))) : 1
alp2 = exp(1e-3*3*(vu+84)*9.648e4/(8.315*(273.16+temp))) : 1
bet2 = exp(1e-3*3*0.6*(vu+84)*9.648e4/(8.315*(273.16+temp))) : 1
)";

const NamedTexts kHHNamespace = {{"area", "20000*umetre**2"},
                                 {"El", "-65*mV"},
                                 {"EK", "-90*mV"},
                                 {"ENa", "50*mV"},
                                 {"VT", "-63*mV"}};
const NamedTexts kHHParams = {{"g_na", "100*msiemens*cm**-2*area"},
                              {"g_kd", "30*msiemens*cm**-2*area"},
                              {"gl", "5e-5*siemens*cm**-2*area"},
                              {"Cm", "1*ufarad*cm**-2*area"}};

const NamedTexts kSyntheticNamespace = {{"gleak", "10*nS"}, {"Eleak", "-70*mV"},
                                        {"VT", "-60*mV"},   {"C", "200*pF"},
                                        {"ENa", "53*mV"},   {"EK", "-107*mV"}};

const NamedTexts kTutorialSbiNamespace = {{"E_Na", "53*mV"},
                                          {"E_K", "-107*mV"},
                                          {"E_l", "-70*mV"},
                                          {"VT", "-60.0*mV"}};

const NamedTexts kTutorialSbiInit = {{"v", "E_l"},
                                     {"m", "1 / (1 + beta_m / alpha_m)"},
                                     {"h", "1 / (1 + beta_h / alpha_h)"},
                                     {"n", "1 / (1 + beta_n / alpha_n)"}};

std::vector<GoodModel> BuildGoodModels() {
  std::vector<GoodModel> models;
  auto add = [&](GoodModel m) { models.push_back(std::move(m)); };

  // ---- brian2modelfitting ----
  {
    GoodModel m;
    m.name = "bmf_hh_trace_fitter";
    m.source = "brian2modelfitting examples/hh_nevergrad_runtime.py";
    m.equations = kHodgkinHuxleyFit;
    m.method = "exponential_euler";
    m.namespace_entries = kHHNamespace;
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "VT"}};
    m.params = kHHParams;
    add(m);
    // The same model with the method left to the automatic choice.
    m.name = "bmf_hh_automatic_method";
    m.source = "brian2modelfitting examples/hh_nevergrad_runtime.py, no method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_inferencer";
    m.source = "brian2modelfitting examples/hh_sbi_simple_interface.py";
    m.equations = kHodgkinHuxleyIndented;
    m.method = "exponential_euler";
    m.threshold = "m > 0.5";
    m.refractory = "m > 0.5";
    m.namespace_entries = kHHNamespace;
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v", "spikes"};
    m.param_init = {{"v", "VT"}};
    m.params = kHHParams;
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_multiobjective";
    m.source = "brian2modelfitting examples/multiobjective.py";
    m.equations = kHodgkinHuxleyFit;
    m.method = "exponential_euler";
    m.namespace_entries = kHHNamespace;
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v", "m"};
    m.param_init = {{"v", "El"}};
    m.params = kHHParams;
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_tutorial";
    m.source = "brian2modelfitting docs_sphinx/introduction/tutorial_hh.rst";
    m.equations = kHodgkinHuxleyTutorial;
    m.method = "exponential_euler";
    m.namespace_entries = kHHNamespace;
    m.namespace_entries.push_back({"Cm", "1*ufarad*cm**-2 * area"});
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "-65*mV"}};
    m.params = {{"g_na", "100*msiemens*cm**-2*area"},
                {"g_kd", "30*msiemens*cm**-2*area"},
                {"gl", "5e-5*siemens*cm**-2*area"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_adex_spike_fitter";
    m.source = "brian2modelfitting examples/IF_brette_multi.py";
    m.equations = kAdExBretteFit;
    m.threshold = "vm > Vcut";
    m.reset = "vm=Vr; w+=b";
    m.namespace_entries = {{"C", "281 * pF"},          {"gL", "30 * nS"},
                           {"taum", "C / gL"},         {"EL", "-70.6 * mV"},
                           {"VT", "-50.4 * mV"},       {"DeltaT", "2 * mV"},
                           {"Vcut", "VT + 5 * DeltaT"}};
    m.inputs = {{"I", "amp"}};
    m.outputs = {"spikes"};
    m.param_init = {{"vm", "EL"}};
    m.params = {{"tauw", "144*ms"},
                {"a", "4*nS"},
                {"b", "0.0805*nA"},
                {"Vr", "-70.6*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_exp_if_spike_fitter";
    m.source = "brian2modelfitting examples/IF_fit_spikes.py";
    m.equations = kExpIFSpikes;
    m.threshold = "v > -50*mV";
    m.reset = "v = -70*mV";
    m.method = "exponential_euler";
    m.namespace_entries = {
        {"EL", "-70*mV"}, {"VT", "-50*mV"}, {"DeltaT", "2*mV"}};
    m.inputs = {{"I", "amp"}};
    m.outputs = {"spikes"};
    m.param_init = {{"v", "-70*mV"}};
    m.params = {{"gL", "30*nS"}, {"C", "1*nF"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_exp_if_trace_fitter";
    m.source = "brian2modelfitting examples/if_nevergrad_runtime.py";
    m.equations = kExpIFTraces;
    m.threshold = "v > -50*mV";
    m.reset = "v = -70*mV";
    m.method = "exponential_euler";
    m.namespace_entries = {{"C", "1*nF"}, {"DeltaT", "2*mV"}};
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "-70*mV"}};
    m.params = {{"gL", "30*nS"}, {"EL", "-70*mV"}, {"VT", "-50*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_exp_if_inferencer";
    m.source = "brian2modelfitting examples/IF_sbi.py";
    m.equations = kExpIFSbi;
    m.threshold = "v > -50*mV";
    m.reset = "v = -70*mV";
    m.method = "exponential_euler";
    m.namespace_entries = {
        {"El", "-70*mV"}, {"VT", "-50*mV"}, {"DeltaT", "2*mV"}};
    m.inputs = {{"I_syn", "amp"}};
    m.outputs = {"spikes"};
    m.param_init = {{"v", "-70*mV"}};
    m.params = {{"gl", "30*nS"}, {"C", "1*nF"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_ohmic_no_differential_equation";
    m.source = "brian2modelfitting examples/modelfitting_nevergrad.py";
    m.equations = kOhmic;
    m.inputs = {{"v", "volt"}};
    m.outputs = {"I"};
    m.params = {{"g", "10*nS"}, {"E", "0*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_synthetic_inferencer";
    m.source = "brian2modelfitting examples/hh_sbi_synthetic_traces.py";
    m.equations = kHodgkinHuxleySynthetic;
    m.threshold = "m>0.5";
    m.refractory = "m>0.5";
    m.method = "exponential_euler";
    m.namespace_entries = kSyntheticNamespace;
    m.inputs = {{"I_inj", "amp"}};
    m.outputs = {"Vm"};
    m.param_init = {{"Vm", "Eleak"},
                    {"m", "1/(1 + betam/alpham)"},
                    {"h", "1/(1 + betah/alphah)"},
                    {"n", "1/(1 + betan/alphan)"}};
    m.params = {{"gNa", "32*uS"}, {"gK", "1*uS"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_tutorial_sbi_two_parameters";
    m.source = "brian2modelfitting docs_sphinx/introduction/tutorial_sbi.rst";
    m.equations = kHodgkinHuxleyTutorialSbi2;
    m.threshold = "m > 0.5";
    m.refractory = "m > 0.5";
    m.method = "exponential_euler";
    m.namespace_entries = kTutorialSbiNamespace;
    m.namespace_entries.push_back({"g_l", "10*nS"});
    m.namespace_entries.push_back({"Cm", "200*pF"});
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = kTutorialSbiInit;
    m.params = {{"g_Na", "32*uS"}, {"g_K", "1*uS"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_hh_tutorial_sbi_four_parameters";
    m.source = "brian2modelfitting docs_sphinx/introduction/tutorial_sbi.rst";
    m.equations = kHodgkinHuxleyTutorialSbi4;
    m.threshold = "m > 0.5";
    m.refractory = "m > 0.5";
    m.method = "exponential_euler";
    m.namespace_entries = kTutorialSbiNamespace;
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v", "spikes"};
    m.param_init = kTutorialSbiInit;
    m.params = {
        {"g_Na", "32*uS"}, {"g_K", "1*uS"}, {"g_l", "10*nS"}, {"Cm", "200*pF"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_lif_basinhopping";
    m.source = "brian2modelfitting examples/basinhopping.py";
    m.equations = kLifBasinhopping;
    m.threshold = "v > -50*mV";
    m.reset = "v=E_L";
    m.refractory = "1*ms";
    m.method = "exact";
    m.namespace_entries = {{"g_L", "10*nS"}, {"E_L", "-70*mV"}};
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "E_L"}};
    m.params = {{"C", "2*nF"}};
    add(m);
    m.name = "bmf_lif_basinhopping_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_lif_refine";
    m.source = "brian2modelfitting refine example with C, g_L, E_L";
    m.equations = kLifRefine;
    m.threshold = "v > -50*mV";
    m.reset = "v=E_L";
    m.refractory = "1*ms";
    m.method = "exact";
    m.inputs = {{"I", "amp"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "E_L"}};
    m.params = {{"C", "1.2*nF"}, {"g_L", "15*nS"}, {"E_L", "-60*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "bmf_gradient_test";
    m.source = "brian2modelfitting examples/gradient_test.py";
    m.equations = kGradientTest;
    m.method = "euler";
    m.inputs = {{"I", "1"}};
    m.outputs = {"x1", "x2"};
    m.params = {{"p1", "7"}, {"p2", "3"}};
    add(m);
    m.name = "bmf_gradient_test_automatic_method";
    m.method = "";
    add(m);
  }

  // ---- Brian2 ----
  {
    GoodModel m;
    m.name = "brian2_coba_hh";
    m.source = "Brian2 examples/COBAHH.py";
    m.equations = kCobaHH;
    m.threshold = "v>-20*mV";
    m.refractory = "3*ms";
    m.method = "exponential_euler";
    m.namespace_entries = {{"area", "20000*umetre**2"},
                           {"Cm", "(1*ufarad*cm**-2) * area"},
                           {"gl", "(5e-5*siemens*cm**-2) * area"},
                           {"El", "-60*mV"},
                           {"EK", "-90*mV"},
                           {"ENa", "50*mV"},
                           {"g_na", "(100*msiemens*cm**-2) * area"},
                           {"g_kd", "(30*msiemens*cm**-2) * area"},
                           {"VT", "-63*mV"},
                           {"taue", "5*ms"},
                           {"taui", "10*ms"},
                           {"Ee", "0*mV"},
                           {"Ei", "-80*mV"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "El + 5*mV"}, {"ge", "40*nS"}, {"gi", "200*nS"}};
    add(m);
    m.name = "brian2_coba_hh_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_cuba";
    m.source = "Brian2 examples/CUBA.py";
    m.equations = kCuba;
    m.threshold = "v>Vt";
    m.reset = "v = Vr";
    m.refractory = "5*ms";
    m.namespace_entries = {{"taum", "20*ms"}, {"taue", "5*ms"},
                           {"taui", "10*ms"}, {"Vt", "-50*mV"},
                           {"Vr", "-60*mV"},  {"El", "-49*mV"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "Vr + 0.5 * (Vt - Vr)"}};
    // A coupled linear system: Brian2's default, 'exact', solves it by a
    // matrix exponential, which cellfit does not; it asks for a method.
    m.method = "euler";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_lif";
    m.source = "Brian2 examples/IF_curve_LIF.py";
    m.equations = kLif;
    m.threshold = "v > 10*mV";
    m.reset = "v = 0*mV";
    m.refractory = "5*ms";
    m.method = "exact";
    m.namespace_entries = {{"tau", "10*ms"}};
    m.outputs = {"v", "spikes"};
    m.params = {{"v0", "15*mV"}};
    add(m);
    m.name = "brian2_lif_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_adex";
    m.source = "Brian2 examples/frompapers/Touboul_Brette_2008.py";
    m.equations = kAdEx;
    m.threshold = "vm > Vcut";
    m.reset = "vm = Vr; w += b";
    m.namespace_entries = {{"C", "281*pF"},    {"gL", "30*nS"},
                           {"EL", "-70.6*mV"}, {"VT", "-50.4*mV"},
                           {"DeltaT", "2*mV"}, {"tauw", "40*ms"},
                           {"a", "4*nS"},      {"b", "0.08*nA"},
                           {"I", ".8*nA"},     {"Vcut", "VT + 5 * DeltaT"}};
    m.outputs = {"vm", "spikes"};
    m.param_init = {{"vm", "EL"}, {"w", "a * (vm - EL)"}};
    m.params = {{"Vr", "-48*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_izhikevich";
    m.source = "Brian2 examples/frompapers/Izhikevich_2003.py";
    m.equations = kIzhikevich;
    m.threshold = "v>=30";
    m.reset = "v=c; u+=d";
    m.method = "euler";
    m.outputs = {"v"};
    m.param_init = {{"v", "-65"}, {"u", "b*v"}};
    m.params = {{"a", "0.02"}, {"b", "0.2"}, {"c", "-65"}, {"d", "8"}};
    add(m);
    m.name = "brian2_izhikevich_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_stochastic_lif";
    m.source = "Brian2 examples/frompapers/Brunel_Hakim_1999.py";
    m.equations = kStochasticLif;
    m.threshold = "V>theta";
    m.reset = "V=Vr";
    m.refractory = "taurefr";
    m.namespace_entries = {{"Vr", "10*mV"},    {"theta", "20*mV"},
                           {"tau", "20*ms"},   {"taurefr", "2*ms"},
                           {"muext", "25*mV"}, {"sigmaext", "1*mV"}};
    m.outputs = {"V"};
    m.param_init = {{"V", "Vr"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_stochastic_lif_docs";
    m.source = "Brian2 docs user/models.rst (noise)";
    m.equations = kStochasticLifDocs;
    m.namespace_entries = {{"tau", "10*ms"}, {"sigma", "2*mV"}};
    m.outputs = {"v"};
    add(m);
    m.name = "brian2_stochastic_lif_docs_milstein";
    m.method = "milstein";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_morris_lecar";
    m.source = "Brian2 examples/frompapers/Morris_Lecar_1981.py";
    m.equations = kMorrisLecar;
    m.method = "exponential_euler";
    m.namespace_entries = {{"g_L", "2*mS"},
                           {"g_Ca", "4*mS"},
                           {"g_K", "8*mS"},
                           {"V_L", "-50*mV"},
                           {"V_Ca", "100*mV"},
                           {"V_K", "-70*mV"},
                           {"lambda_n__max", "1.0/(15*ms)"},
                           {"V_1", "10*mV"},
                           {"V_2", "15*mV"},
                           {"V_3", "-1*mV"},
                           {"V_4", "14.5*mV"},
                           {"C", "20*uF"}};
    m.outputs = {"V"};
    m.param_init = {{"V", "V_L"}, {"n", "n_inf"}};
    m.params = {{"I", "100*uA"}};
    add(m);
    m.name = "brian2_morris_lecar_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_wang_buzsaki";
    m.source = "Brian2 examples/frompapers/Wang_Buszaki_1996.py";
    m.equations = kWangBuzsaki;
    m.namespace_entries = {{"Cm", "1*uF"},         {"Iapp", "2*uA"},
                           {"gL", "0.1*msiemens"}, {"EL", "-65*mV"},
                           {"ENa", "55*mV"},       {"EK", "-90*mV"},
                           {"gNa", "35*msiemens"}, {"gK", "9*msiemens"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "-70*mV"}, {"h", "1"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_hindmarsh_rose";
    m.source = "Brian2 examples/frompapers/Hindmarsh_Rose_1984.py";
    m.equations = kHindmarshRose;
    m.method = "rk4";
    m.namespace_entries = {{"time_unit", "1*ms"},
                           {"x_1", "-1.6"},
                           {"a", "1"},
                           {"b", "3"},
                           {"c", "1"},
                           {"d", "5"},
                           {"r", "0.001"},
                           {"s", "4"}};
    m.outputs = {"x"};
    m.param_init = {
        {"x", "x_1"}, {"y", "c - d*x**2"}, {"z", "r*(s*(x - x_1))"}};
    m.params = {{"I", "2"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "fitzhugh_nagumo";
    m.source = "FitzHugh-Nagumo in Brian2 syntax";
    m.equations = kFitzHughNagumo;
    m.method = "rk2";
    m.namespace_entries = {
        {"tau", "1*ms"}, {"tau_w", "12.5*ms"}, {"a", "0.7"}, {"b", "0.8"}};
    m.outputs = {"v", "w"};
    m.param_init = {{"v", "-1.2"}, {"w", "(v + a)/b"}};
    m.params = {{"I", "0.5"}};
    add(m);
    m.name = "fitzhugh_nagumo_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_platkiewicz_brette";
    m.source = "Brian2 examples/frompapers/Platkiewicz_Brette_2011.py";
    m.equations = kPlatkiewiczBrette;
    m.threshold = "v>theta";
    m.reset = "v=EL";
    m.refractory = "5*ms";
    m.namespace_entries = {
        {"ENa", "60*mV"}, {"EL", "-70*mV"},
        {"vT", "-55*mV"}, {"Vi", "-63*mV"},
        {"tauh", "5*ms"}, {"tau", "5*ms"},
        {"ka", "5*mV"},   {"ki", "6*mV"},
        {"a", "ka / ki"}, {"tauI", "5*ms"},
        {"mu", "15*mV"},  {"sigma", "6*mV / sqrt(tauI / (tauI + tau))"}};
    m.outputs = {"v", "spikes"};
    m.param_init = {{"v", "EL"}, {"theta", "vT"}, {"I", "0"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_adaptive_threshold";
    m.source = "Brian2 examples/adaptive_threshold.py";
    m.equations = kAdaptiveThreshold;
    m.threshold = "v>vt";
    m.reset = "\nv = 0*mV\nvt += 3*mV\n";
    m.outputs = {"v", "spikes"};
    m.param_init = {{"vt", "10*mV"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_geometric_brownian_heun";
    m.source = "Brian2 examples/advanced/stochastic_odes.py";
    m.equations = kGeometricBrownian;
    m.method = "heun";
    m.namespace_entries = {{"mu", "0.5/second"}, {"sigma", "0.1/second"}};
    m.outputs = {"X"};
    m.param_init = {{"X", "1"}};
    add(m);
    m.name = "brian2_geometric_brownian_milstein";
    m.method = "milstein";
    add(m);
    m.name = "brian2_geometric_brownian_automatic_method";
    m.method = "";
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_sine_driven";
    m.source = "Brian2 docs user/equations.rst (time-dependent input)";
    m.equations = kSineDriven;
    m.namespace_entries = {{"tau", "10*ms"}};
    m.outputs = {"v", "I"};
    m.params = {{"freq", "50*Hz"}};
    add(m);
  }
  {
    GoodModel m;
    m.name = "brian2_rothman_manis";
    m.source = "Brian2 examples/frompapers/Rothman_Manis_2003.py (type1c)";
    m.equations = kRothmanManis;
    m.method = "exponential_euler";
    m.namespace_entries = {{"C", "12*pF"},
                           {"Eh", "-43*mV"},
                           {"EK", "-70*mV"},
                           {"El", "-65*mV"},
                           {"ENa", "50*mV"},
                           {"nf", "0.85"},
                           {"zss", "0.5"},
                           {"temp", "22."},
                           {"q10", "3. ** ((temp - 22) / 10.)"},
                           {"frac", "0.0"},
                           {"qt", "4.5 ** ((temp - 33.) / 10.)"},
                           {"gnabar", "1000*nS"},
                           {"gkhtbar", "150*nS"},
                           {"gkltbar", "0*nS"},
                           {"gkabar", "0*nS"},
                           {"ghbar", "0.5*nS"},
                           {"gbarno", "0*nS"},
                           {"gl", "2*nS"}};
    m.outputs = {"v"};
    m.param_init = {{"v", "El"}};
    m.params = {{"I", "250*pA"}};
    add(m);
    m.name = "brian2_rothman_manis_automatic_method";
    m.method = "";
    add(m);
  }
  {
    // Exponential Euler where A and B depend on v (Brian2 splits A*v + B with
    // sympy's collect and evaluates them at the start of the step).
    GoodModel m;
    m.name = "exponential_euler_state_dependent_terms";
    m.source = "Brian2's exponential_euler rules";
    m.equations =
        "dv/dt = -v*(1 + exp(-v/mV))/(10*ms) + mV/(1 + v/mV)/ms : volt";
    m.method = "exponential_euler";
    m.outputs = {"v"};
    m.param_init = {{"v", "2*mV"}};
    add(m);
  }
  return models;
}

}  // namespace

const std::vector<GoodModel>& GoodModels() {
  static const auto* models = new std::vector<GoodModel>(BuildGoodModels());
  return *models;
}

ModelSpec ToSpec(const GoodModel& model) {
  ModelSpec spec;
  spec.equations = model.equations;
  spec.threshold = model.threshold;
  spec.reset = model.reset;
  spec.refractory = model.refractory;
  spec.method = model.method;
  spec.param_init = model.param_init;
  spec.outputs = model.outputs;
  for (const auto& [name, text] : model.namespace_entries) {
    spec.namespace_entries.push_back({name, text, std::nullopt});
  }
  for (const auto& [name, unit] : model.inputs) {
    auto quantity = ParseQuantity(unit, "input unit");
    if (!quantity.ok()) std::abort();  // the corpus itself is wrong
    spec.inputs.push_back({name, quantity->dimension});
  }
  return spec;
}

}  // namespace cellfit::model::testdata
